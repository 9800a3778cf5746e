"""Piccolo app of the downloads table."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.downloads.tables import Downloadable

APP_CONFIG = AppConfig(
    app_name="downloads",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Downloadable],
    migration_dependencies=["nichevid.media.piccolo_app"],
    commands=[],
)
