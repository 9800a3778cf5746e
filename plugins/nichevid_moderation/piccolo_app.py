"""Piccolo app of the moderation tables; depends on the core apps its rows refer to."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nichevid_moderation.tables import Actor, Appeal, AuditEntry, Report, Restriction

APP_CONFIG = AppConfig(
    app_name="moderation",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Report, Actor, AuditEntry, Restriction, Appeal],
    migration_dependencies=[
        "nichevid.accounts.piccolo_app",
        "nichevid.media.piccolo_app",
        "nichevid.comments.piccolo_app",
    ],
    commands=[],
)
