"""What the recommender remembers of one viewer: this session's feedback, what was shown, choices.

A viewer is a member (``u<id>``) or an anonymous browser (``s<viewer cookie>``).
Three small JSON records per viewer live in the stores of :class:`States` (which
store holds what is in :mod:`nichevid.recommend.stores`):

* feedback: the latest ratings of this session, written where signals arrive
  (watch events, likes, "not interested");
* shown: the cards the feed handed out, with the reason for each, written by the
  feed; it feeds the seen-filter (within one page view: watched videos stay out
  for the session), the loop breaker and "Why am I seeing this?";
* choices: picked interests, hidden videos, creators and hashtags, and the feed mode.

Each record has one writer path, so a watch-event batch and a feed batch arriving
at once never overwrite each other's news.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

STORE = "recommend"
SESSION_SECONDS = 6 * 3600
CHOICES_SECONDS = 365 * 86400
MAX_FEEDBACK = 50
MAX_SHOWN = 300
MAX_HIDDEN = 500
MAX_INTERESTS = 20
Mode = Literal["personal", "trending", "chronological"]
MODES: tuple[str, ...] = ("personal", "trending", "chronological")


@dataclass
class Choices:
    """What the viewer told the feed."""

    interests: list[str] = field(default_factory=list)
    hidden_videos: list[int] = field(default_factory=list)
    hidden_creators: list[int] = field(default_factory=list)
    hidden_tags: list[str] = field(default_factory=list)
    mode: str = "personal"
    picked: bool = False  # the interest picker was answered (or dismissed)
    # "Reset my feed": a model trained before this time (epoch seconds) no longer speaks for them.
    reset_at: float = 0.0


@dataclass
class Shown:
    """Cards handed out this session: ``[video id, reason]``, oldest first."""

    cards: list[list[Any]] = field(default_factory=list)
    batches: int = 0
    # Where the current page view began in ``cards``: a reload may show again what an
    # earlier page handed out but the viewer never watched.
    page_start: int = 0
    follows: list[int] = field(default_factory=list)
    follows_at: float = 0.0
    # Cards ranked for the batches after the last one, ``[video id, reason]``, and the
    # mark of what they were ranked from (feedback, choices, model): they are handed out
    # only while the mark still matches.
    ahead: list[list[Any]] = field(default_factory=list)
    ahead_mark: str = ""

    def ids(self) -> set[int]:
        """Videos handed out since the current page view began."""
        return {int(card[0]) for card in self.cards[self.page_start :]}

    def new_page(self) -> None:
        self.page_start = len(self.cards)
        self.ahead, self.ahead_mark = [], ""

    def reason(self, video_id: int) -> str | None:
        for card in reversed(self.cards):
            if int(card[0]) == video_id:
                return str(card[1])
        return None


@dataclass(frozen=True)
class States:
    """The two stores viewer state lives in (see :mod:`nichevid.recommend.stores`)."""

    records: Any  # feedback and shown cards: session records, read on every batch
    lasting: Any  # choices: kept for a year


def _key(kind: str, viewer: str) -> str:
    return f"{kind}:{viewer}"


async def _read(store: Any, key: str) -> dict[str, Any]:
    raw = await store.get(key)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}  # an unreadable record is a fresh start, never an error page
    return data if isinstance(data, dict) else {}


def _fields(cls: Any, data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in cls.__dataclass_fields__}


async def feedback(store: States, viewer: str) -> list[tuple[int, float]]:
    """This session's ratings, oldest first: ``[(video id, rating), ...]``."""
    data = await _read(store.records, _key("f", viewer))
    return [(int(v), float(r)) for v, r in data.get("f", [])]


async def add_feedback(store: States, viewer: str, ratings: list[tuple[int, float]]) -> None:
    """Append ratings; a video rated again keeps only its latest rating."""
    if not ratings:
        return
    latest = dict(await feedback(store, viewer))
    for video, value in ratings:
        latest.pop(video, None)
        latest[video] = value
    kept = list(latest.items())[-MAX_FEEDBACK:]
    await store.records.set(_key("f", viewer), json.dumps({"f": kept}), expires_in=SESSION_SECONDS)


async def shown(store: States, viewer: str) -> Shown:
    """The cards handed out this session."""
    return Shown(**_fields(Shown, await _read(store.records, _key("s", viewer))))


async def save_shown(store: States, viewer: str, state: Shown) -> None:
    """Keep what the feed handed out (the newest ``MAX_SHOWN`` cards)."""
    dropped = max(0, len(state.cards) - MAX_SHOWN)
    state.cards = state.cards[dropped:]
    state.page_start = max(0, state.page_start - dropped)
    data = json.dumps(state.__dict__)
    await store.records.set(_key("s", viewer), data, expires_in=SESSION_SECONDS)


async def choices(store: States, viewer: str) -> Choices:
    """The viewer's interests, hidden things and feed mode."""
    return Choices(**_fields(Choices, await _read(store.lasting, _key("c", viewer))))


async def save_choices(store: States, viewer: str, state: Choices) -> None:
    """Store the viewer's choices (kept for a year after the last change)."""
    state.interests = state.interests[:MAX_INTERESTS]
    for name in ("hidden_videos", "hidden_creators", "hidden_tags"):
        setattr(state, name, getattr(state, name)[-MAX_HIDDEN:])
    await store.lasting.set(
        _key("c", viewer), json.dumps(state.__dict__), expires_in=CHOICES_SECONDS
    )


async def reset(store: States, viewer: str, now: float) -> None:
    """ "Reset my feed": forget what was learned (session and trained taste) and ask again.

    Hidden videos, creators and hashtags and the feed mode stay: they are the viewer's
    explicit choices, not something learned.
    """
    for kind in ("f", "s"):
        await store.records.delete(_key(kind, viewer))
    state = await choices(store, viewer)
    state.interests, state.picked, state.reset_at = [], False, now
    await save_choices(store, viewer, state)
