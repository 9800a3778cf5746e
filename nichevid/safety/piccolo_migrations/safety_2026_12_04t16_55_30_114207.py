from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T16:55:30:114207"
VERSION = "1.38.0"
DESCRIPTION = "Unique pairs: one block, one mute, one screen-time row a day"

# Unique indexes instead of table constraints: SQLite cannot add a constraint to an
# existing table, and both databases accept the same CREATE UNIQUE INDEX.
INDEXES = {
    "nv_block_blocker_blocked": "nv_block (blocker, blocked)",
    "nv_mute_muter_muted": "nv_mute (muter, muted)",
    "nv_screen_time_member_day": "nv_screen_time (member, day)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="safety", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
