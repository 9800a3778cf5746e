"""Piccolo app of the subscription tables; depends on the core apps its rows refer to."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid_subscriptions.tables import Subscription, Tier, VideoTier

APP_CONFIG = AppConfig(
    app_name="subscriptions",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Tier, Subscription, VideoTier],
    migration_dependencies=[
        "nichevid.accounts.piccolo_app",
        "nichevid.media.piccolo_app",
        "nichevid.payments.piccolo_app",
    ],
    commands=[],
)
