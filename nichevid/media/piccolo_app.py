"""Piccolo app of the media tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.media.tables import Rendition, Upload, Video

APP_CONFIG = AppConfig(
    app_name="media",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Video, Rendition, Upload],
    migration_dependencies=["nichevid.accounts.piccolo_app"],
    commands=[],
)
