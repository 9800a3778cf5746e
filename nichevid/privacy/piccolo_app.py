"""Piccolo app of the privacy tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid.privacy.tables import DataExport, DeletionRequest, SitePage

APP_CONFIG = AppConfig(
    app_name="privacy",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[DataExport, DeletionRequest, SitePage],
    migration_dependencies=["nichevid.accounts.piccolo_app"],
    commands=[],
)
