"""Piccolo app of the search indexes (FTS5 tables on SQLite, GIN indexes on PostgreSQL)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="search",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=["nichevid.accounts.piccolo_app", "nichevid.media.piccolo_app"],
    commands=[],
)
