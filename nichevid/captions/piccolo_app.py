"""Piccolo app of the captions table."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.captions.tables import Caption

APP_CONFIG = AppConfig(
    app_name="captions",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Caption],
    migration_dependencies=["nichevid.media.piccolo_app"],
    commands=[],
)
