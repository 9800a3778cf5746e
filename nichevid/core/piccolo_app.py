"""Piccolo app of the core tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.core.tables import JobRow, KeyValue, RateCounter

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[JobRow, KeyValue, RateCounter],
    migration_dependencies=[],
    commands=[],
)
