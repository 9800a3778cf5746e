"""Watch events: what the player reports, how it is checked, and the service that takes it.

The player measures each viewing of a card and posts batches of events
(``{"events": [...]}``) to ``POST /api/events``. :func:`decode_batch` checks the
shape (unknown fields, wrong types and negative numbers refuse the whole batch);
:func:`record_events` checks each event against the video it names, drops resent
events by their client id, and hands the rest to the write-behind buffer
(:mod:`nichevid.feed.eventbuffer`). Nothing here writes one row per event.

Rules, per event:

* ``video`` must be the slug of a ready video the viewer may watch (public, or
  the viewer's own); anything else counts as ``unknown_video``, so the answer
  never tells whether a private slug exists.
* ``watched_ms`` may not exceed the video's duration x (``replays`` + 1) plus
  ``events_slack_ms`` (``too_long``).
* ``completed`` and ``skipped`` together contradict each other (``inconsistent``).
* An ``id`` the viewer already sent is a ``duplicate``: not stored again, not an error.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

from nichevid.feed.dedupe import RecentIds
from nichevid.feed.eventbuffer import EventBuffer
from nichevid.feed.eventwriter import Row
from nichevid.feed.settings import FeedSettings
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.recommend.ratings import Signals

# "sponsored": a promoted card an ads plugin put in the feed.
FeedName = Literal["foryou", "following", "hashtag", "profile", "search", "video", "sponsored"]
# Longest single viewing accepted whatever the video (a day), and most replays.
MAX_WATCHED_MS = 86_400_000
MAX_REPLAYS = 10_000
# Watch time allowed for a video whose duration is not known.
UNKNOWN_DURATION_MS = 3_600_000
EVENT_FIELDS = "id, video, watched_ms, replays, completed, skipped, feed"


class WatchEventIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One viewing of one card, as the player reports it."""

    id: Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    video: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    watched_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_WATCHED_MS)]
    replays: Annotated[int, msgspec.Meta(ge=0, le=MAX_REPLAYS)] = 0
    completed: bool = False
    skipped: bool = False
    feed: FeedName = "foryou"


class EventBatch(msgspec.Struct, forbid_unknown_fields=True):
    """The request body."""

    events: list[WatchEventIn]


class BatchError(ValueError):
    """A request body that cannot be used at all; the message says what to fix."""


_DECODER = msgspec.json.Decoder(EventBatch)
_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$\.?(?P<at>[^`]*)`)?$")


def decode_batch(body: bytes, max_events: int) -> list[WatchEventIn]:
    """Parse and check a request body.

    Raises:
        BatchError: On malformed JSON, a wrong shape, an unknown field, a wrong type,
            a negative number, or more than ``max_events`` events.
    """
    try:
        batch = _DECODER.decode(body)
    except msgspec.ValidationError as exc:
        match = _AT.match(str(exc))
        what = match.group("what") if match else str(exc)
        where = match.group("at") if match and match.group("at") else "body"
        raise BatchError(
            gettext(
                '%(where)s: %(problem)s. Send {"events": [...]} where each event has only '
                "%(fields)s, with whole non-negative numbers.",
                where=where,
                problem=what,
                fields=EVENT_FIELDS,
            )
        ) from None
    except msgspec.DecodeError as exc:
        raise BatchError(
            gettext(
                'The body is not valid JSON (%(problem)s); send {"events": [...]}.', problem=exc
            )
        ) from None
    if len(batch.events) > max_events:
        raise BatchError(
            gettext(
                "%(num)s events in one request; send at most %(max)s "
                "and the rest in further requests.",
                num=len(batch.events),
                max=max_events,
            )
        )
    return batch.events


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who watched: a signed-in user (``user_id``) and/or the browser's session id."""

    user_id: int | None
    session_id: str

    @property
    def key(self) -> str:
        """The identity dedupe and rate limits count by."""
        return f"u{self.user_id}" if self.user_id is not None else f"s{self.session_id}"


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What checking an event needs to know about its video."""

    id: int
    owner: int
    duration_ms: int
    ready: bool
    public: bool

    def visible_to(self, viewer: Viewer) -> bool:
        """As ``media.services.may_view``, for ready videos: public ones, or the viewer's own."""
        return self.ready and (self.public or viewer.user_id == self.owner)


class VideoLookup:
    """Slug -> :class:`VideoFacts`, cached for ``ttl`` seconds (misses for ``miss_ttl``).

    A batch costs at most one query, for the slugs not cached. Events of a video made
    private (or deleted: their rows are then dropped at write time) are still accepted
    for up to ``ttl`` seconds; they are statistics, never shown to anyone.
    """

    def __init__(
        self, ttl: float = 300.0, miss_ttl: float = 30.0, max_entries: int = 100_000
    ) -> None:
        self.ttl, self.miss_ttl, self.max_entries = ttl, miss_ttl, max_entries
        self._cache: dict[str, tuple[float, VideoFacts | None]] = {}

    async def get_many(self, slugs: set[str]) -> dict[str, VideoFacts | None]:
        """Facts of each slug (``None``: no such video)."""
        now = time.monotonic()
        found: dict[str, VideoFacts | None] = {}
        missing = []
        for slug in slugs:
            cached = self._cache.get(slug)
            if cached is not None and cached[0] > now:
                found[slug] = cached[1]
            else:
                missing.append(slug)
        if missing:
            # One query for the batch's uncached slugs (a feed read path, like media.listing).
            rows = await Video.select(
                Video.id, Video.slug, Video.owner, Video.status, Video.visibility, Video.duration_ms
            ).where(Video.slug.is_in(missing))
            by_slug = {row["slug"]: row for row in rows}
            if len(self._cache) + len(missing) > self.max_entries:
                self._cache.clear()
            for slug in missing:
                row = by_slug.get(slug)
                facts = None
                if row is not None:
                    facts = VideoFacts(
                        id=int(row["id"]),
                        owner=int(row["owner"]),
                        duration_ms=int(row["duration_ms"] or 0),
                        ready=row["status"] == "ready",
                        public=row["visibility"] == "public",
                    )
                self._cache[slug] = (now + (self.ttl if facts else self.miss_ttl), facts)
                found[slug] = facts
        return found

    def forget(self) -> None:
        """Drop every cached entry."""
        self._cache.clear()


@dataclass
class Outcome:
    """What became of a batch: counts for the response."""

    accepted: int = 0
    duplicates: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    # What each accepted event says, for the ``viewer_signals`` hook (not in the response).
    signals: list[tuple[int, Signals]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(self.reasons.values())

    def reject(self, reason: str) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "reasons": self.reasons,
        }


@dataclass
class EventIngest:
    """The long-lived parts of ingestion: settings, video lookup, dedupe and buffer."""

    settings: FeedSettings
    lookup: VideoLookup
    seen: RecentIds
    buffer: EventBuffer


def _allowed_ms(facts: VideoFacts, replays: int, slack_ms: int) -> int:
    duration = facts.duration_ms or UNKNOWN_DURATION_MS
    return duration * (replays + 1) + slack_ms


async def record_events(ingest: EventIngest, viewer: Viewer, events: list[WatchEventIn]) -> Outcome:
    """Check ``events`` of ``viewer``, drop duplicates, buffer the rest for writing.

    Returns:
        Counts of accepted, duplicate and rejected events (by reason).
    """
    outcome = Outcome()
    if not events:
        return outcome
    videos = await ingest.lookup.get_many({event.video for event in events})
    slack = ingest.settings.events_slack_ms
    valid: list[tuple[WatchEventIn, VideoFacts]] = []
    for event in events:
        facts = videos.get(event.video)
        if facts is None or not facts.visible_to(viewer):
            outcome.reject("unknown_video")
        elif event.watched_ms > _allowed_ms(facts, event.replays, slack):
            outcome.reject("too_long")
        elif event.completed and event.skipped:
            outcome.reject("inconsistent")
        else:
            valid.append((event, facts))
    if not valid:
        return outcome
    fresh = await ingest.seen.claim(viewer.key, [event.id for event, _ in valid])
    now = datetime.now(UTC)
    rows: list[Row] = []
    ids: list[str] = []
    for (event, facts), new in zip(valid, fresh, strict=True):
        if not new:
            outcome.duplicates += 1
            continue
        ids.append(event.id)
        outcome.signals.append(
            (
                facts.id,
                Signals(
                    watched_ms=event.watched_ms,
                    duration_ms=facts.duration_ms,
                    completed=event.completed,
                    skipped=event.skipped,
                ),
            )
        )
        rows.append(
            (
                viewer.user_id,
                viewer.session_id,
                facts.id,
                event.watched_ms,
                event.completed,
                event.replays,
                event.skipped,
                event.feed,
                now,
            )
        )
    if rows:
        try:
            await ingest.buffer.add(rows)
        except BaseException:
            # Not kept: let the player send these ids again.
            await ingest.seen.release(viewer.key, ids)
            raise
    outcome.accepted = len(rows)
    if not rows:
        outcome.signals.clear()
    return outcome
