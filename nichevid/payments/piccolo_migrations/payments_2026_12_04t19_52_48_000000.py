from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T19:52:48:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique keys of payout requests"

# One open (pending) request per member, and one request per key a member's form
# sent: the database refuses a second, however many requests arrive at once. Partial
# unique indexes read the same on SQLite and PostgreSQL.
UNIQUE = {
    "nv_payout_one_open": "nv_payout (owner) WHERE status = 'pending'",
    "nv_payout_request_key": "nv_payout (owner, request_key)",
}
INDEXES = {
    "nv_payout_status": "nv_payout (status, id)",
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
