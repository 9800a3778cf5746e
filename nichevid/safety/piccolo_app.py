"""Piccolo app of the safety tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.safety.tables import Block, Mute, SafetyPrefs, ScreenTime

APP_CONFIG = AppConfig(
    app_name="safety",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Block, Mute, SafetyPrefs, ScreenTime],
    migration_dependencies=["nichevid.accounts.piccolo_app"],
    commands=[],
)
