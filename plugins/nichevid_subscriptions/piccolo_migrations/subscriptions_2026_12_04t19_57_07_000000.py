from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T19:57:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "One subscription per checkout; a member's subscriptions to a creator"

# Unique indexes instead of table constraints: SQLite cannot add a constraint to an
# existing table, and both databases accept the same CREATE UNIQUE INDEX.
UNIQUE = {
    "nv_sub_subscription_checkout": "nv_sub_subscription (provider, checkout_token)",
}
INDEXES = {
    "nv_sub_subscription_pair": "nv_sub_subscription (member, creator)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="subscriptions", description=DESCRIPTION)

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
