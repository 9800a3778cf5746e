"""The platform's signals of a time window, as one rating per (member, video).

Watch events are summed per member and video in the database (one grouped query);
likes, shares and comments of the window mark a pair as engaged. Each pair then
goes through :func:`nichevid.recommend.ratings.rating`, so the scale is the one
the offline evaluation measures. Anonymous viewers are not trained on: their
taste lives in their session (see :mod:`nichevid.recommend.session`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nichevid.comments.tables import Comment
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video
from nichevid.recommend.rank import feed_code
from nichevid.recommend.ratings import Signals, rating
from nichevid.recommend.train import Sample, Triple
from nichevid.replicas import read
from nichevid.social.tables import Like, Share


def _watch_sql() -> str:
    event, video = WatchEvent._meta.tablename, Video._meta.tablename
    return f"""
        SELECT e.viewer AS viewer, e.video AS video, SUM(e.watched_ms) AS watched,
               MAX(CASE WHEN e.completed THEN 1 ELSE 0 END) AS completed,
               MIN(CASE WHEN e.skipped THEN 1 ELSE 0 END) AS skipped,
               MAX(v.duration_ms) AS duration, MIN(e.feed) AS feed,
               MIN(e.created_at) AS first_at
          FROM {event} e JOIN {video} v ON v.id = e.video
         WHERE e.viewer IS NOT NULL AND e.created_at >= {{}}
         GROUP BY e.viewer, e.video
         ORDER BY MIN(e.created_at)
    """  # noqa: S608 - table names only; the time is a bound parameter


def _pairs_sql(table: Any, viewer: str) -> str:
    return f"""
        SELECT DISTINCT {viewer} AS viewer, video FROM {table._meta.tablename}
         WHERE created_at >= {{}}
    """  # noqa: S608 - table and column names only


async def _pairs(table: Any, viewer: str, since: datetime) -> set[tuple[int, int]]:
    rows = await read(table.raw(_pairs_sql(table, viewer), since))
    return {(int(r["viewer"]), int(r["video"])) for r in rows}


async def window_triples(since: datetime) -> list[Triple]:
    """``(member id, video id, rating)`` for every pair with a signal since ``since``."""
    return [(user, video, value) for user, video, value, _, _ in await window_samples(since)]


async def window_samples(since: datetime) -> list[Sample]:
    """``(member id, video id, rating, feed code, hour)`` for every pair since ``since``.

    The feed is where the member first watched the video and the hour (UTC, the same
    clock serving reads) when; a like without a viewing has neither (``-1``). Pairs
    come in the order of their first viewing (co-visitation keeps each member's
    latest positives), likes without a viewing last.
    """
    liked = await _pairs(Like, "viewer", since)
    shared = await _pairs(Share, "viewer", since)
    commented = await _pairs(Comment, "author", since)
    engaged = liked | shared | commented
    samples: list[Sample] = []
    for row in await read(WatchEvent.raw(_watch_sql(), since)):
        pair = (int(row["viewer"]), int(row["video"]))
        signals = Signals(
            watched_ms=int(row["watched"] or 0),
            duration_ms=int(row["duration"] or 0),
            completed=bool(row["completed"]),
            skipped=bool(row["skipped"]),
            liked=pair in engaged,
        )
        engaged.discard(pair)
        hour = _moment(row["first_at"]).hour if row["first_at"] is not None else -1
        samples.append((*pair, float(rating(signals)), feed_code(row["feed"]), hour))
    # Engaged without a recorded viewing (a like from a video page): still a 5.
    five = float(rating(Signals(liked=True)))
    samples.extend((user, video, five, -1, -1) for user, video in engaged)
    return samples


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
