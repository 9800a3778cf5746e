"""Writing watch-event rows in batches: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from nichevid.accounts.tables import User
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video

log = logging.getLogger("nichevid.feed.events")

# viewer, session_id, video, watched_ms, completed, replays, skipped, feed, created_at
Row = tuple[int | None, str, int, int, bool, int, bool, str, datetime]
COLUMNS = (
    "viewer", "session_id", "video", "watched_ms", "completed", "replays", "skipped", "feed",
    "created_at",
)  # fmt: skip
# Rows per INSERT statement on SQLite, within its limit of bound variables (999 before 3.32).
SQLITE_ROWS_PER_STATEMENT = 500 if sqlite3.sqlite_version_info >= (3, 32) else 100


class RowWriter:
    """Writes rows in one statement per chunk; drops rows whose video or viewer is gone."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.table = WatchEvent._meta.tablename
        self._sqlite: Any = None

    async def write(self, rows: list[Row]) -> int:
        """Write ``rows``; return how many were stored."""
        if not rows:
            return 0
        try:
            await self._insert(rows)
            return len(rows)
        except Exception as exc:
            if not _is_foreign_key_error(exc):
                raise
        # A video or account was deleted after its events were accepted: keep the others.
        kept = await self._existing(rows)
        if len(kept) < len(rows):
            log.info("dropped %d watch events of deleted videos or users", len(rows) - len(kept))
        if kept:
            await self._insert(kept)
        return len(kept)

    async def _insert(self, rows: list[Row]) -> None:
        if isinstance(self.engine, PostgresEngine):
            if self.engine.pool is not None:
                async with self.engine.pool.acquire() as conn:
                    await conn.copy_records_to_table(self.table, records=rows, columns=COLUMNS)
            else:
                conn = await self.engine.get_new_connection()
                try:
                    await conn.copy_records_to_table(self.table, records=rows, columns=COLUMNS)
                finally:
                    await conn.close()
            return
        await asyncio.to_thread(self._sqlite_insert, rows)

    def _sqlite_insert(self, rows: list[Row]) -> None:
        # One thread hand-off per chunk and a few hundred rows per statement: SQLite gives
        # up the GIL once per statement, and a busy event loop makes every regain slow.
        if self._sqlite is None:
            kwargs = self.engine.connection_kwargs  # type: ignore[attr-defined]
            conn = sqlite3.connect(
                kwargs["database"], timeout=kwargs.get("timeout", 30), check_same_thread=False
            )
            conn.isolation_level = None
            conn.execute("PRAGMA foreign_keys = 1")
            self._sqlite = conn
        conn = self._sqlite
        row = "(" + ", ".join("?" for _ in COLUMNS) + ")"
        head = f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES "  # noqa: S608
        conn.execute("BEGIN IMMEDIATE")
        try:
            for first in range(0, len(rows), SQLITE_ROWS_PER_STATEMENT):
                part = rows[first : first + SQLITE_ROWS_PER_STATEMENT]
                conn.execute(head + ", ".join([row] * len(part)), [v for r in part for v in r])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    async def _existing(self, rows: list[Row]) -> list[Row]:
        videos = {row[2] for row in rows}
        users = {row[0] for row in rows if row[0] is not None}
        found = await Video.select(Video.id).where(Video.id.is_in(list(videos)))
        live_videos = {r["id"] for r in found}
        live_users: set[Any] = set()
        if users:
            found = await User.select(User.id).where(User.id.is_in(list(users)))
            live_users = {r["id"] for r in found}
        return [r for r in rows if r[2] in live_videos and (r[0] is None or r[0] in live_users)]

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


def _is_foreign_key_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "foreign key" in text or "foreignkeyviolation" in text
