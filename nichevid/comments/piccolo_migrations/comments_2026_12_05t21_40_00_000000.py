from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-05T21:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One like per member and comment"

# A unique index instead of a table constraint: SQLite cannot add a constraint to an
# existing table, and both databases accept the same CREATE UNIQUE INDEX.
NAME = "nv_comment_like_viewer_comment"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="comments", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {NAME} ON nv_comment_like (viewer, comment)"
        )

    async def drop():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {NAME}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
