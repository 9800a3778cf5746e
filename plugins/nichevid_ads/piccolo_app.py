"""Piccolo app of the ad tables; depends on the core apps its rows refer to."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid_ads.tables import AdHide, AdView, Campaign, Challenge

APP_CONFIG = AppConfig(
    app_name="ads",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Campaign, AdView, AdHide, Challenge],
    migration_dependencies=["nichevid.media.piccolo_app"],
    commands=[],
)
