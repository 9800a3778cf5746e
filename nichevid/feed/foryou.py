"""The For You order before a trained model exists: popular videos mixed with fresh ones.

Every web process keeps one *mix*: the most engaging ready public videos of the
last days (watch events weighed by how recent the video is), with a fresh upload
in every ``foryou_fresh_every``-th slot. The mix is rebuilt in the background at
most every ``foryou_refresh_seconds``, so a request never waits for it (the very
first request of a process waits once). After the mix, the feed continues with
every other video, newest first, leaving out those the mix already showed.

Cursors name where a page ended: ``m<version>.<offset>`` inside a mix, or
``t<version>.<id>`` (the last video shown) in the newest-first tail after that
mix. The last two mixes are kept so a reader's pages stay consistent across a
rebuild.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.core.onebuild import OneBuild
from nichevid.feed.settings import feed_settings
from nichevid.feed.tables import WatchEvent
from nichevid.i18n import gettext
from nichevid.media.listing import OPEN_VIDEO, Card, cards_by_ids, public_cards
from nichevid.media.tables import Video
from nichevid.plugins import answers
from nichevid.replicas import read

_KEY = "feed.foryou"
# Most reads of the newest-first tail for one page (the last reads 4,096 x the first).
_TAIL_READS = 13
# How fast age pulls a video down: (engagement + 1) / (hours + 2) ** GRAVITY.
GRAVITY = 1.5


class BadCursor(ValueError):
    """A cursor this feed never handed out."""

    def __init__(self, cursor: str) -> None:
        super().__init__(bad_position(cursor))


def bad_position(cursor: str) -> str:
    """The refusal of a feed position (cursor) no feed handed out."""
    return gettext(
        "The feed position '%(cursor)s' is not valid; reload the feed to start again.",
        cursor=cursor[:40],
    )


@dataclass(frozen=True)
class Mix:
    """One built order of popular and fresh videos."""

    version: int
    ids: tuple[int, ...]
    members: frozenset[int]
    # Newest-first videos below this id follow the mix (``None``: from the newest).
    tail_before: int | None = None


def _engagement_sql(limit: int) -> str:
    event, video = WatchEvent._meta.tablename, Video._meta.tablename
    # Plays count once, completions twice more, skips against; only ready public videos.
    # Events of the window are summed first (``video + 0`` keeps SQLite on the time
    # index instead of walking every event through the video index), then joined.
    return f"""
        SELECT a.video AS id, v.created_at AS created_at, a.engagement AS engagement
          FROM (SELECT e.video + 0 AS video,
                       SUM(CASE WHEN e.skipped THEN -1 ELSE 1 END)
                         + 2 * SUM(CASE WHEN e.completed THEN 1 ELSE 0 END) AS engagement
                  FROM {event} e
                 WHERE e.created_at >= {{}}
                 GROUP BY e.video + 0) a
          JOIN {video} v ON v.id = a.video
         WHERE {OPEN_VIDEO}
         ORDER BY a.engagement DESC
         LIMIT {limit}
    """  # noqa: S608 - table names and an integer only; the time is a bound parameter


def _fresh_sql(limit: int) -> str:
    video = Video._meta.tablename
    return f"""
        SELECT id FROM {video}
         WHERE status = 'ready' AND visibility = 'public' AND NOT age_restricted
         ORDER BY id DESC LIMIT {limit}
    """  # noqa: S608 - a table name and an integer only


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rank_popular(rows: list[dict[str, Any]], now: datetime) -> list[int]:
    """Video ids by engagement decayed with the video's age, best first."""

    def score(row: dict[str, Any]) -> float:
        hours = max(0.0, (now - _as_datetime(row["created_at"])).total_seconds() / 3600)
        return (max(0, int(row["engagement"])) + 1) / (hours + 2) ** GRAVITY

    positive = [row for row in rows if int(row["engagement"]) > 0]
    return [int(row["id"]) for row in sorted(positive, key=score, reverse=True)]


def interleave(popular: list[int], fresh: list[int], fresh_every: int) -> list[int]:
    """Popular ids with a fresh one in every ``fresh_every``-th slot, each id once."""
    if not popular:
        return []
    order: list[int] = []
    seen: set[int] = set()
    popular_left, fresh_left = iter(popular), iter(fresh)
    while True:
        slot = len(order) + 1
        source = fresh_left if fresh_every and slot % fresh_every == 0 else popular_left
        picked = next((i for i in source if i not in seen), None)
        if picked is None:
            # One source ran out: the other fills the remaining slots.
            for left in fresh_left if source is popular_left else popular_left:
                if left not in seen:
                    seen.add(left)
                    order.append(left)
            return order
        seen.add(picked)
        order.append(picked)


async def build_mix(settings: Any, version: int) -> Mix:
    """Read engagement and the newest uploads, and build a mix."""
    config = feed_settings(settings)
    now = datetime.now(UTC)
    since = now - timedelta(days=config.foryou_window_days)
    rows = await read(WatchEvent.raw(_engagement_sql(config.foryou_pool), since))
    popular = rank_popular(rows, now)
    every = config.foryou_fresh_every
    fresh: list[int] = []
    if popular and every:
        fresh = [
            int(row["id"]) for row in await read(Video.raw(_fresh_sql(config.foryou_pool // every)))
        ]
    order = interleave(popular, fresh, every)
    tail_before = min(fresh) if order and fresh else None
    return Mix(version, tuple(order), frozenset(order), tail_before)


class ForYou:
    """One process's current mix and the one before, rebuilt in the background."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self._mixes: dict[int, Mix] = {}
        self._built_at = 0.0
        self._builds = OneBuild(self._rebuild, self._failed)
        self._versions = itertools.count(1)

    async def current(self) -> Mix:
        """The newest mix; a stale one starts a rebuild and is served meanwhile.

        Before the first mix exists every caller waits for the same build.
        """
        if not self._mixes:
            await self._builds.wait()
        elif self._stale():
            self._builds.start()
        return self._mixes[max(self._mixes)]

    def find(self, version: int) -> Mix | None:
        """A mix kept from a recent build, by its version."""
        return self._mixes.get(version)

    def _stale(self) -> bool:
        refresh = feed_settings(self._settings).foryou_refresh_seconds
        return time.monotonic() - self._built_at >= refresh

    async def _rebuild(self) -> None:
        mix = await build_mix(self._settings, next(self._versions))
        self._mixes = {v: m for v, m in self._mixes.items() if v == max(self._mixes)}
        self._mixes[mix.version] = mix
        self._built_at = time.monotonic()

    def _failed(self) -> None:
        # Keep serving the old mix; the next stale request tries again.
        self._built_at = time.monotonic()


def for_you(resources: Any) -> ForYou:
    """The process's For You state for these resources."""
    state: ForYou | None = resources.extra.get(_KEY)
    if state is None:
        state = resources.extra[_KEY] = ForYou(resources.settings)
    return state


def parse_cursor(cursor: str | None) -> tuple[str, int, int] | None:
    """``None`` (first page) or ``(kind, version, number)``.

    ``("m", version, offset)`` is a place in a mix; ``("t", version, before)`` a
    place in the tail that follows mix ``version`` (``before`` 0: its newest
    video); ``("r", 0, page)`` a personal feed's page number. A plain id, as handed
    out before tails named their mix, is a tail place after the current mix (version 0).
    """
    if not cursor:
        return None
    try:
        if cursor[0] == "r" and cursor[1:].isdigit():
            # A personal feed's page number, met by a visitor the recommender does not
            # know (an expired cookie): the same place in the order for everybody.
            return "r", 0, int(cursor[1:])
        if cursor[0] in "mt":
            version, number = (int(part) for part in cursor[1:].split(".", 1))
            if version >= 1 and number >= 0:
                return cursor[0], version, number
        elif int(cursor) >= 0:
            return "t", 0, int(cursor)
    except ValueError:
        pass
    raise BadCursor(cursor)


async def page(resources: Any, cursor: str | None, limit: int) -> tuple[list[Card], str | None]:
    """One page of the For You order for everybody and the cursor of the next.

    As :func:`_page`, less the videos a plugin keeps out of For You
    (``for_you_exclude``; such a page shows fewer cards).

    Raises:
        BadCursor: When ``cursor`` was not handed out by this feed.
    """
    cards, next_cursor = await _page(resources, cursor, limit)
    refused = await excluded(resources, [c.id for c in cards], None)
    return [card for card in cards if card.id not in refused], next_cursor


async def excluded(resources: Any, video_ids: list[int], viewer: Any) -> set[int]:
    """The ids plugins keep out of For You for ``viewer`` (``for_you_exclude``)."""
    if not video_ids:
        return set()
    found = await answers(
        resources.pm, "for_you_exclude", video_ids=video_ids, viewer=viewer, resources=resources
    )
    return {int(video) for answer in found for video in answer}


async def _page(resources: Any, cursor: str | None, limit: int) -> tuple[list[Card], str | None]:
    """One page of the For You feed and the cursor of the next (``None`` at the end).

    A cursor keeps to the mix it came from while that mix is kept, so a rebuild
    between two pages neither repeats nor skips videos.

    Raises:
        BadCursor: When ``cursor`` was not handed out by this feed.
    """
    state = for_you(resources)
    position = parse_cursor(cursor)
    mix = await state.current()
    if position is None:
        kind, offset = "m", 0
    elif position[0] == "r":
        kind, offset = "m", position[2] * limit
    else:
        kind, version, offset = position
        mix = state.find(version) or mix
    if kind == "t":
        return await _tail(resources, mix, offset or None, limit)
    ids = mix.ids[offset : offset + limit]
    if not ids:
        return await _tail(resources, mix, mix.tail_before, limit)
    cards = await cards_by_ids(resources, list(ids))
    end = offset + len(ids)
    if end < len(mix.ids):
        return cards, f"m{mix.version}.{end}"
    # The mix ends here: go on with the tail if it has anything.
    tail, _ = await _tail(resources, mix, mix.tail_before, 1)
    return cards, (f"t{mix.version}.{mix.tail_before or 0}" if tail else None)


async def _tail(
    resources: Any, mix: Mix, before: int | None, limit: int
) -> tuple[list[Card], str | None]:
    """Newest-first videos below ``before`` that the mix did not show."""
    found: list[Card] = []
    cursor = before
    for attempt in range(_TAIL_READS):
        # Each read is twice the last, so a tail crowded by the mix's videos stays cheap.
        size = (limit + 1) << attempt
        batch, cursor = await public_cards(resources, before=cursor, limit=size)
        found.extend(card for card in batch if card.id not in mix.members)
        if len(found) > limit or cursor is None:
            break
    cards = found[:limit]
    if cards and (len(found) > limit or cursor is not None):
        return cards, f"t{mix.version}.{cards[-1].id}"
    return cards, None
