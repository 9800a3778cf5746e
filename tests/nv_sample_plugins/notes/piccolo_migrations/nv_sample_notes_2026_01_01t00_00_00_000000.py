from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-01-01T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Notes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nv_sample_notes", description=DESCRIPTION)
    manager.add_table(class_name="Note", tablename="nv_sample_note", schema=None, columns=None)
    manager.add_column(
        table_class_name="Note",
        tablename="nv_sample_note",
        column_name="id",
        db_column_name="id",
        column_class_name="Serial",
        column_class=Serial,
        params={
            "null": False,
            "primary_key": True,
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
        table_class_name="Note",
        tablename="nv_sample_note",
        column_name="text",
        db_column_name="text",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
            "default": "",
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
