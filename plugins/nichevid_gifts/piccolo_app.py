"""Piccolo app of the gift tables; depends on the core apps its rows refer to."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid_gifts.tables import CreatorChoice, Gift, GiftItem, Nonprofit, Receipt

APP_CONFIG = AppConfig(
    app_name="gifts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[GiftItem, Gift, Nonprofit, Receipt, CreatorChoice],
    migration_dependencies=[
        "nichevid.accounts.piccolo_app",
        "nichevid.media.piccolo_app",
        "nichevid.payments.piccolo_app",
    ],
    commands=[],
)
