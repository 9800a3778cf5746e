from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T23:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Videos age-restricted before the core flag existed carry the flag"

# Age limits standing now (never lifted; they have no end date) mark their video.
BACKFILL = (
    "UPDATE nv_video SET age_restricted = TRUE WHERE id IN ("
    "SELECT target_id FROM nv_mod_restriction WHERE kind = 'age_restrict' "
    "AND target_kind = 'video' AND lifted_at IS NULL AND until IS NULL)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="moderation", description=DESCRIPTION)

    async def backfill():
        await engine_finder().run_ddl(BACKFILL)

    async def nothing():
        # Going back keeps the flags: the core column goes with the media migration.
        return None

    manager.add_raw(backfill)
    manager.add_raw_backwards(nothing)
    return manager
