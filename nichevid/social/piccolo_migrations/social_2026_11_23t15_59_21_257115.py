from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T15:59:21:257115"
VERSION = "1.38.0"
DESCRIPTION = "Unique pairs: one like, one bookmark, one follow"

# Unique indexes instead of table constraints: SQLite cannot add a constraint to an
# existing table, and both databases accept the same CREATE UNIQUE INDEX.
INDEXES = {
    "nv_like_viewer_video": "nv_like (viewer, video)",
    "nv_bookmark_viewer_video": "nv_bookmark (viewer, video)",
    "nv_follow_follower_followee": "nv_follow (follower, followee)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="social", description=DESCRIPTION)

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
