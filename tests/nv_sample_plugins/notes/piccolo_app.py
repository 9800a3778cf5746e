"""Piccolo app of the sample notes plugin; depends on a core app like a real plugin would."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nv_sample_plugins.notes.tables import Note

APP_CONFIG = AppConfig(
    app_name="nv_sample_notes",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Note],
    migration_dependencies=["nichevid.core.piccolo_app"],
    commands=[],
)
