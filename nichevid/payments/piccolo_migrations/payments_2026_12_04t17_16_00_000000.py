from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T17:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique keys of the ledger and payment tables"

# Unique indexes instead of table constraints: SQLite cannot add a constraint to an
# existing table, and both databases accept the same CREATE UNIQUE INDEX. The
# ledger's ON CONFLICT clauses name these columns.
UNIQUE = {
    "nv_ledger_account_key": "nv_ledger_account (key)",
    "nv_ledger_transaction_key": "nv_ledger_transaction (idempotency_key)",
    "nv_payment_checkout_token": "nv_payment_checkout (token)",
    "nv_payment_event_id": "nv_payment_event (provider, event_id)",
}
INDEXES = {
    "nv_ledger_account_owner": "nv_ledger_account (kind, owner)",
    "nv_payment_event_status": "nv_payment_event (status, received_at)",
    "nv_payment_checkout_user": "nv_payment_checkout (user_id, id)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for name, target in UNIQUE.items():
            await engine.run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {target}")
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop():
        engine = engine_finder()
        for name in [*UNIQUE, *INDEXES]:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
