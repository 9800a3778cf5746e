from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T22:11:21:728315"
VERSION = "1.38.0"
DESCRIPTION = "E-mail summaries of unseen notifications"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="safety", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="SafetyPrefs",
        tablename="nv_safety_prefs",
        column_name="digest_sent_at",
        db_column_name="digest_sent_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SafetyPrefs",
        tablename="nv_safety_prefs",
        column_name="email_digest",
        db_column_name="email_digest",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": True,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
