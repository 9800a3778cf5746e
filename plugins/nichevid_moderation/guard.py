"""The database triggers that make the audit log append-only.

The migration installs them (it keeps its own frozen copy of these statements); the
test harness alone lifts them for a moment to empty the table between test cases.
"""

from __future__ import annotations

from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

REFUSAL = "moderation audit log entries cannot be changed or deleted"

SQLITE_GUARD = [
    "CREATE TRIGGER IF NOT EXISTS nv_mod_audit_no_update BEFORE UPDATE ON nv_mod_audit "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    "CREATE TRIGGER IF NOT EXISTS nv_mod_audit_no_delete BEFORE DELETE ON nv_mod_audit "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
]
SQLITE_LIFT = [
    "DROP TRIGGER IF EXISTS nv_mod_audit_no_update",
    "DROP TRIGGER IF EXISTS nv_mod_audit_no_delete",
]
POSTGRES_GUARD = [
    "CREATE TRIGGER nv_mod_audit_append_only BEFORE UPDATE OR DELETE ON nv_mod_audit "
    "FOR EACH ROW EXECUTE FUNCTION nv_mod_audit_refuse()",
    "CREATE TRIGGER nv_mod_audit_no_truncate BEFORE TRUNCATE ON nv_mod_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION nv_mod_audit_refuse()",
]
POSTGRES_LIFT = [
    "DROP TRIGGER IF EXISTS nv_mod_audit_append_only ON nv_mod_audit",
    "DROP TRIGGER IF EXISTS nv_mod_audit_no_truncate ON nv_mod_audit",
]


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing to change the audit log."""
    return REFUSAL in str(exc)


async def empty_guarded(engine: Any) -> None:
    """Empty the audit log with its triggers lifted, in one transaction (tests only)."""
    sqlite = isinstance(engine, SQLiteEngine)
    async with engine.transaction():
        for statement in SQLITE_LIFT if sqlite else POSTGRES_LIFT:
            await engine.run_ddl(statement)
        await engine.run_ddl("DELETE FROM nv_mod_audit")
        for statement in SQLITE_GUARD if sqlite else POSTGRES_GUARD:
            await engine.run_ddl(statement)
