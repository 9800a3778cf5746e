from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T18:39:10:512204"
VERSION = "1.38.0"
DESCRIPTION = "One track per video and language"

# A unique index instead of a table constraint: SQLite cannot add a constraint to an
# existing table, and both databases accept the same CREATE UNIQUE INDEX.
INDEXES = {"nv_caption_video_language": "nv_caption (video, language)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="captions", description=DESCRIPTION)

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
