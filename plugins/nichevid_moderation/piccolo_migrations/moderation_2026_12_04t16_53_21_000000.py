from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-04T16:53:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "One report per reporter and item; an append-only audit log"

# One report per reporter and item; both databases accept the same unique index.
INDEXES = {
    "nv_mod_report_once": "nv_mod_report (reporter_key, target_kind, target_id)",
    "nv_mod_report_target": "nv_mod_report (target_kind, target_id)",
}

REFUSAL = "moderation audit log entries cannot be changed or deleted"

# The audit log is append-only: the database itself refuses changes and deletions.
SQLITE_GUARD = [
    f"CREATE TRIGGER IF NOT EXISTS nv_mod_audit_no_update BEFORE UPDATE ON nv_mod_audit "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    f"CREATE TRIGGER IF NOT EXISTS nv_mod_audit_no_delete BEFORE DELETE ON nv_mod_audit "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
]
POSTGRES_GUARD = [
    "CREATE OR REPLACE FUNCTION nv_mod_audit_refuse() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER nv_mod_audit_append_only BEFORE UPDATE OR DELETE ON nv_mod_audit "
    "FOR EACH ROW EXECUTE FUNCTION nv_mod_audit_refuse()",
    "CREATE TRIGGER nv_mod_audit_no_truncate BEFORE TRUNCATE ON nv_mod_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION nv_mod_audit_refuse()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="moderation", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for name, target in INDEXES.items():
            unique = "UNIQUE " if name.endswith("_once") else ""
            await engine.run_ddl(f"CREATE {unique}INDEX IF NOT EXISTS {name} ON {target}")
        guard = SQLITE_GUARD if isinstance(engine, SQLiteEngine) else POSTGRES_GUARD
        for statement in guard:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")
        if isinstance(engine, SQLiteEngine):
            for name in ("nv_mod_audit_no_update", "nv_mod_audit_no_delete"):
                await engine.run_ddl(f"DROP TRIGGER IF EXISTS {name}")
        else:
            await engine.run_ddl("DROP FUNCTION IF EXISTS nv_mod_audit_refuse() CASCADE")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
