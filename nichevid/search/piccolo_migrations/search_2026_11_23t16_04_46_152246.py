from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-23T16:04:46:152246"
VERSION = "1.38.0"
DESCRIPTION = "Full-text indexes of videos and people"

# SQLite: FTS5 tables reading their text from nv_video and nv_user (external content),
# kept in step by triggers, so every writer of those tables updates the index.
FTS5_TABLES = {
    "nv_video_fts": ("nv_video", ("caption", "hashtags")),
    "nv_user_fts": ("nv_user", ("username", "display_name", "bio")),
}
TOKENIZE = "unicode61 remove_diacritics 2"


def fts5_statements(fts, table, columns):
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', "
        f"content_rowid='id', tokenize='{TOKENIZE}', prefix='2 3')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF {cols} ON {table} "
        f"WHEN {changed} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        # Index the rows stored before this migration.
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


# PostgreSQL: GIN expression indexes over exactly what the search queries compute,
# partial to the rows search may show (nichevid.search.engines repeats the expressions).
VIDEO_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, caption), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, hashtags::text), 'A'))"
)
USER_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, username), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, display_name), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, bio), 'C'))"
)
PG_INDEXES = {
    "nv_video_search": f"nv_video USING GIN ({VIDEO_VECTOR}) "
    "WHERE status = 'ready' AND visibility = 'public'",
    "nv_user_search": f"nv_user USING GIN ({USER_VECTOR}) WHERE is_active",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="search", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for name, target in PG_INDEXES.items():
                await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
            return
        for fts, (table, columns) in FTS5_TABLES.items():
            for statement in fts5_statements(fts, table, columns):
                await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for name in PG_INDEXES:
                await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")
            return
        for fts in FTS5_TABLES:
            for suffix in ("insert", "delete", "update"):
                await engine.run_ddl(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            await engine.run_ddl(f"DROP TABLE IF EXISTS {fts}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
