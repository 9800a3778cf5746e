"""How the whole instance is used, for its operators: views, viewers, members, uploads.

Read from the stored rows (watch events, accounts, videos) over the last 7, 30 or
90 UTC days and kept for :data:`KEEP_SECONDS` per period in each web process (in
``resources.extra``): the passes over every viewing of the period cost far more than
a page should, and an operator's figures need not be newer than a few minutes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from nichevid.accounts.tables import User
from nichevid.db import utc_day_sql
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video
from nichevid.replicas import read
from nichevid.studio.figures import VIEWER_KEY, period_start

KEEP_SECONDS = 300.0
TOP_VIDEOS = 10


@dataclass(frozen=True)
class Day:
    """One UTC day of the instance."""

    day: date
    views: int = 0
    viewers: int = 0
    watched_ms: int = 0
    new_members: int = 0
    uploads: int = 0


@dataclass(frozen=True)
class Activity:
    """The instance over ``days`` days from ``start``."""

    days: int
    start: date
    daily: list[Day]
    views: int
    viewers: int
    watched_ms: int
    new_members: int
    uploads: int
    published: int
    top_videos: list[dict[str, Any]] = field(default_factory=list)
    made_at: float = 0.0


def _viewer_key() -> str:
    return (
        "CASE WHEN e.viewer IS NULL THEN 's' || e.session_id ELSE 'u' || CAST(e.viewer AS TEXT) END"
    )


async def _per_day(since: datetime) -> dict[str, dict[str, Any]]:
    day = utc_day_sql("e.created_at", WatchEvent._meta.db)
    sql = (
        f"SELECT {day} AS d, COUNT(*) AS views, SUM(e.watched_ms) AS watched, "  # noqa: S608
        f"COUNT(DISTINCT {VIEWER_KEY}) AS viewers "
        f"FROM {WatchEvent._meta.tablename} e WHERE e.created_at >= {{}} GROUP BY d"
    )
    return {str(row["d"]): row for row in await read(WatchEvent.raw(sql, since))}


async def _viewers(since: datetime) -> int:
    sql = (
        f"SELECT COUNT(DISTINCT {VIEWER_KEY}) AS n "  # noqa: S608
        f"FROM {WatchEvent._meta.tablename} e WHERE e.created_at >= {{}}"
    )
    rows = await read(WatchEvent.raw(sql, since))
    return int(rows[0]["n"] or 0) if rows else 0


async def _counted_per_day(table: Any, column: str, since: datetime) -> dict[str, int]:
    day = utc_day_sql(f"t.{column}", table._meta.db)
    sql = (
        f"SELECT {day} AS d, COUNT(*) AS n FROM {table._meta.tablename} t "  # noqa: S608
        f"WHERE t.{column} >= {{}} GROUP BY d"
    )
    return {str(row["d"]): int(row["n"]) for row in await read(table.raw(sql, since))}


async def _top_videos(since: datetime) -> list[dict[str, Any]]:
    video, user = Video._meta.tablename, User._meta.tablename
    sql = (
        "SELECT v.slug, v.caption, u.username, top.views FROM ("  # noqa: S608
        f"SELECT e.video, COUNT(*) AS views FROM {WatchEvent._meta.tablename} e "
        "WHERE e.created_at >= {} GROUP BY e.video ORDER BY views DESC LIMIT {}"
        f") top JOIN {video} v ON v.id = top.video JOIN {user} u ON u.id = v.owner "
        "ORDER BY top.views DESC, v.id DESC"
    )
    return [dict(row) for row in await read(WatchEvent.raw(sql, since, TOP_VIDEOS))]


async def measure(days: int, now: datetime | None = None) -> Activity:
    """The instance's figures over ``days`` days, read now (the passes run at once)."""
    since = period_start(days, now)
    per_day, viewers, members, uploads, published, top = await asyncio.gather(
        _per_day(since),
        _viewers(since),
        _counted_per_day(User, "created_at", since),
        _counted_per_day(Video, "created_at", since),
        _counted_per_day(Video, "published_at", since),
        _top_videos(since),
    )
    daily = []
    for i in range(days):
        day = since.date() + timedelta(days=i)
        key = day.isoformat()
        row = per_day.get(key, {})
        daily.append(
            Day(
                day=day,
                views=int(row.get("views") or 0),
                viewers=int(row.get("viewers") or 0),
                watched_ms=int(row.get("watched") or 0),
                new_members=members.get(key, 0),
                uploads=uploads.get(key, 0),
            )
        )
    return Activity(
        days=days,
        start=since.date(),
        daily=daily,
        views=sum(d.views for d in daily),
        viewers=viewers,
        watched_ms=sum(d.watched_ms for d in daily),
        new_members=sum(d.new_members for d in daily),
        uploads=sum(d.uploads for d in daily),
        published=sum(published.values()),
        top_videos=top,
        made_at=time.time(),
    )


@dataclass
class Kept:
    """One web process's measured figures per period, and the measurements running."""

    found: dict[int, Activity] = field(default_factory=dict)
    running: dict[int, asyncio.Task[Activity]] = field(default_factory=dict)


KEPT_KEY = "admin.activity"


async def activity(resources: Any, days: int, *, fresh: bool = False) -> Activity:
    """The figures of ``days`` days, as measured at most :data:`KEEP_SECONDS` ago
    (``fresh``: measured now). Requests arriving while they are measured wait for that
    one measurement."""
    kept: Kept = resources.extra.setdefault(KEPT_KEY, Kept())
    found = kept.found.get(days)
    if found is not None and not fresh and time.time() - found.made_at < KEEP_SECONDS:
        return found
    task = kept.running.get(days)
    if task is None:
        task = asyncio.ensure_future(measure(days))
        kept.running[days] = task
        task.add_done_callback(lambda _: kept.running.pop(days, None))
    found = await asyncio.shield(task)
    kept.found[days] = found
    return found
