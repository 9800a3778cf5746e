"""A creator's figures over a period: views, watch time, retention, sources, reactions.

Everything is read from the stored rows when asked (watch events, likes, comments,
shares, follows), so the figures follow erasures and deletions at once and need no
tables of their own. Rules:

* A view is one viewing of a card as the player reported it (see
  :mod:`nichevid.feed.events`); the creator's own viewings, likes and comments are not
  counted.
* Days are UTC days; a period of ``days`` days ends today and starts ``days - 1`` days
  before, at midnight UTC.
* The share watched of a view is its watch time capped at the video's duration (a
  replay counts the whole video once); retention at ``k`` tenths is the share of views
  that reached at least ``k`` tenths of the video, the end counting as reached by
  viewings that completed or replayed it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from nichevid.comments.tables import Comment
from nichevid.db import utc_day_sql
from nichevid.feed.tables import WatchEvent
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.replicas import read
from nichevid.social.tables import Follow, Like, Share

# Periods offered, in days, and the default.
PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
TENTHS = 10


@dataclass
class Watching:
    """What the views of some videos add up to."""

    views: int = 0
    watched_ms: int = 0
    # Watch time capped at each video's duration, and the durations of the viewed videos.
    capped_ms: int = 0
    duration_ms: int = 0
    completions: int = 0
    skips: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.views += int(row["views"] or 0)
        self.watched_ms += int(row["watched"] or 0)
        self.capped_ms += int(row["capped"] or 0)
        self.duration_ms += int(row["durations"] or 0)
        self.completions += int(row["completions"] or 0)
        self.skips += int(row["skips"] or 0)

    def merge(self, other: Watching) -> None:
        self.views += other.views
        self.watched_ms += other.watched_ms
        self.capped_ms += other.capped_ms
        self.duration_ms += other.duration_ms
        self.completions += other.completions
        self.skips += other.skips

    @property
    def average_watch_s(self) -> float:
        return self.watched_ms / 1000 / self.views if self.views else 0.0

    @property
    def share_watched(self) -> float:
        return min(self.capped_ms / self.duration_ms, 1.0) if self.duration_ms else 0.0

    @property
    def completion_rate(self) -> float:
        return self.completions / self.views if self.views else 0.0

    @property
    def skip_rate(self) -> float:
        return self.skips / self.views if self.views else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "views": self.views,
            "watched_ms": self.watched_ms,
            "average_watch_s": round(self.average_watch_s, 2),
            "share_watched": round(self.share_watched, 4),
            "completion_rate": round(self.completion_rate, 4),
            "skip_rate": round(self.skip_rate, 4),
        }


@dataclass
class Reactions:
    """Likes, comments and shares from others in the period."""

    likes: int = 0
    comments: int = 0
    shares: int = 0

    def as_json(self) -> dict[str, int]:
        return {"likes": self.likes, "comments": self.comments, "shares": self.shares}


@dataclass
class Figures:
    """One creator's (or one video's) figures over ``days`` days from ``start``."""

    days: int
    start: date
    watching: Watching
    viewers: int
    reactions: Reactions
    daily: list[tuple[date, int]]
    sources: dict[str, int]
    retention: list[float] = field(default_factory=list)
    new_followers: int = 0
    followers: int = 0

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "days": self.days,
            "start": self.start.isoformat(),
            **self.watching.as_json(),
            "viewers": self.viewers,
            **self.reactions.as_json(),
            "daily": [{"day": day.isoformat(), "views": views} for day, views in self.daily],
            "sources": self.sources,
        }
        if self.retention:
            found["retention"] = [round(share, 4) for share in self.retention]
        else:
            found["new_followers"] = self.new_followers
            found["followers"] = self.followers
        return found


@dataclass
class VideoLine:
    """One of the creator's videos with its figures of the period."""

    video: dict[str, Any]
    watching: Watching
    reactions: Reactions

    def as_json(self) -> dict[str, Any]:
        v = self.video
        published = v["published_at"]
        return {
            "id": v["slug"],
            "caption": v["caption"],
            "status": v["status"],
            "visibility": v["visibility"],
            "published_at": published.isoformat() if published else None,
            **self.watching.as_json(),
            **self.reactions.as_json(),
        }


def period_of(raw: str | None) -> int:
    """The period ``?days=`` asks for (empty: :data:`DEFAULT_DAYS`).

    Raises:
        ValueError: Anything but one of :data:`PERIODS`, with the choices.
    """
    raw = raw or str(DEFAULT_DAYS)
    if not raw.isdigit() or int(raw) not in PERIODS:
        choices = ", ".join(str(d) for d in PERIODS)
        raise ValueError(gettext("Choose a period of %(choices)s days.", choices=choices))
    return int(raw)


def period_start(days: int, now: datetime | None = None) -> datetime:
    """Midnight UTC of the period's first day."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=UTC)


_REACH = (
    f"CASE WHEN e.completed OR e.replays > 0 THEN {TENTHS} WHEN v.duration_ms <= 0 THEN 0 "
    f"ELSE e.watched_ms * {TENTHS} / v.duration_ms END"
)


_FROM = """
          FROM {event} e JOIN {videos} v ON v.id = e.video
         WHERE v.owner = {{}} AND e.created_at >= {{}}
           AND (e.viewer IS NULL OR e.viewer <> v.owner){one}"""


def _from(video: bool) -> str:
    """The viewings counted: of the owner's videos, in the period, by someone else."""
    return _FROM.format(
        event=WatchEvent._meta.tablename,
        videos=Video._meta.tablename,
        one=" AND e.video = {}" if video else "",
    )


def _watching_sql(key: str, video: bool) -> str:
    """Views of the owner's videos since a time, grouped by ``key``."""
    return f"""
        SELECT {key} AS k, COUNT(*) AS views, SUM(e.watched_ms) AS watched,
               SUM(CASE WHEN v.duration_ms > 0 AND e.watched_ms > v.duration_ms
                        THEN v.duration_ms ELSE e.watched_ms END) AS capped,
               SUM(v.duration_ms) AS durations,
               SUM(CASE WHEN e.completed THEN 1 ELSE 0 END) AS completions,
               SUM(CASE WHEN e.skipped THEN 1 ELSE 0 END) AS skips{_from(video)}
         GROUP BY {key}
    """


# Who watched the viewing ``e``: ``u<member id>``, or ``s<session>`` for anonymous viewers.
VIEWER_KEY = (
    "CASE WHEN e.viewer IS NULL THEN 's' || e.session_id ELSE 'u' || CAST(e.viewer AS TEXT) END"
)


def _viewers_sql(video: bool) -> str:
    """Distinct members and anonymous sessions among the views."""
    return f"SELECT COUNT(DISTINCT {VIEWER_KEY}) AS viewers{_from(video)}"


_NOT_DELETED = " AND r.deleted_at IS NULL"


def _reaction_sql(table: str, who: str, extra: str, videos: int | None) -> str:
    """Reactions by others to the owner's videos since a time (to ``videos`` of them)."""
    one = f" AND r.video IN ({', '.join(['{}'] * videos)})" if videos else ""
    return f"""
        SELECT r.video AS k, COUNT(*) AS n
          FROM {table} r JOIN {Video._meta.tablename} v ON v.id = r.video
         WHERE v.owner = {{}} AND r.created_at >= {{}} AND r.{who} <> v.owner{extra}{one}
         GROUP BY r.video
    """  # noqa: S608 - table and column names only


def _args(owner: int, since: datetime, video: int | None) -> list[Any]:
    return [owner, since] + ([video] if video is not None else [])


async def _watching(
    key: str, owner: int, since: datetime, video: int | None
) -> dict[Any, Watching]:
    found: dict[Any, Watching] = defaultdict(Watching)
    sql = _watching_sql(key, video is not None)
    for row in await read(WatchEvent.raw(sql, *_args(owner, since, video))):
        found[row["k"]].add(row)
    return found


async def _reactions(
    owner: int, since: datetime, videos: list[int] | None = None
) -> dict[int, Reactions]:
    """Reactions per video of ``owner`` (of ``videos`` among them when given)."""
    if videos == []:
        return {}
    args: list[Any] = [owner, since, *(videos or [])]
    one = len(videos) if videos else None
    found: dict[int, Reactions] = defaultdict(Reactions)
    kinds = (
        ("likes", _reaction_sql(Like._meta.tablename, "viewer", "", one)),
        (
            "comments",
            _reaction_sql(Comment._meta.tablename, "author", " AND r.deleted_at IS NULL", one),
        ),
        ("shares", _reaction_sql(Share._meta.tablename, "viewer", "", one)),
    )
    for name, sql in kinds:
        for row in await read(Video.raw(sql, *args)):
            setattr(found[int(row["k"])], name, int(row["n"]))
    return found


async def _followers(owner: int, since: datetime) -> tuple[int, int]:
    """All the owner's followers, and those who followed since ``since``."""
    everyone = await Follow.count().where(Follow.followee == owner)
    new = await Follow.count().where((Follow.followee == owner) & (Follow.created_at >= since))
    return everyone, new


async def figures(
    owner: int, days: int, *, video: int | None = None, now: datetime | None = None
) -> Figures:
    """The figures of ``owner``'s videos (or of their video ``video``) over ``days`` days.

    The passes over the viewings run at once: each reads on a connection of its own.
    """
    since = period_start(days, now)
    # One pass by day and source gives the totals, the days and the sources.
    key = f"{utc_day_sql('e.created_at', WatchEvent._meta.db)} || '/' || e.feed"
    viewers_sql = _viewers_sql(video is not None)
    passes = await asyncio.gather(
        _watching(key, owner, since, video),
        read(WatchEvent.raw(viewers_sql, *_args(owner, since, video))),
        _reactions(owner, since, [video] if video is not None else None),
        _watching(_REACH, owner, since, video) if video is not None else _followers(owner, since),
    )
    by_day_feed, viewers, per_video, last = passes
    totals = Watching()
    by_day: dict[str, int] = defaultdict(int)
    by_source: dict[str, int] = defaultdict(int)
    for day_feed, counts in by_day_feed.items():
        day, _, feed = str(day_feed).partition("/")
        totals.merge(counts)
        by_day[day] += counts.views
        by_source[feed] += counts.views
    reactions = Reactions()
    for each in per_video.values():
        reactions.likes += each.likes
        reactions.comments += each.comments
        reactions.shares += each.shares
    shown = [since.date() + timedelta(days=i) for i in range(days)]
    found = Figures(
        days=days,
        start=since.date(),
        watching=totals,
        viewers=int(viewers[0]["viewers"] or 0) if viewers else 0,
        reactions=reactions,
        daily=[(day, by_day.get(day.isoformat(), 0)) for day in shown],
        sources=dict(sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
    if video is not None:
        found.retention = _retention(last)
    else:
        found.followers, found.new_followers = last
    return found


def _retention(by_reach: dict[Any, Watching]) -> list[float]:
    """Share of views that reached at least 0, 1, ... 10 tenths of the video."""
    reached = [0] * (TENTHS + 1)
    for reach, counts in by_reach.items():
        reached[min(max(int(reach), 0), TENTHS)] += counts.views
    total = sum(reached)
    if not total:
        return [0.0] * (TENTHS + 1)
    shares, left = [], total
    for count in reached:
        shares.append(left / total)
        left -= count
    return shares


_LINE_COLUMNS = (
    Video.id,
    Video.slug,
    Video.caption,
    Video.status,
    Video.visibility,
    Video.duration_ms,
    Video.published_at,
)


async def video_lines(
    owner: int,
    days: int,
    *,
    first: int = 0,
    count: int | None = None,
    now: datetime | None = None,
) -> tuple[list[VideoLine], int]:
    """``owner``'s videos with their figures, most viewed first, then the latest uploads.

    Returns ``count`` of them from place ``first`` (every one without ``count``), and
    how many videos the owner has. Only the videos returned are read in full.
    """
    since = period_start(days, now)
    watching, id_rows = await asyncio.gather(
        _watching("e.video", owner, since, None),
        Video.select(Video.id).where(Video.owner == owner),
    )
    ids = [row["id"] for row in id_rows]
    ids.sort(key=lambda i: (-watching[i].views if i in watching else 0, -i))
    if count is None:
        rows = await Video.select(*_LINE_COLUMNS).where(Video.owner == owner)
        reactions = await _reactions(owner, since)
    else:
        chosen = ids[first : first + count]
        rows = await Video.select(*_LINE_COLUMNS).where(Video.id.is_in(chosen)) if chosen else []
        reactions = await _reactions(owner, since, chosen)
    place = {video_id: i for i, video_id in enumerate(ids)}
    rows.sort(key=lambda row: place[row["id"]])
    lines = [
        VideoLine(row, watching.get(row["id"], Watching()), reactions.get(row["id"], Reactions()))
        for row in rows
    ]
    return lines, len(ids)
