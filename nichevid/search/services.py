"""Search services: plain async functions the page, the API and other packages call.

Only open videos of active users (ready, public, not age-restricted), and active
users, are found for everybody; a signed-in reader also finds the gated videos they
may watch (:func:`nichevid.media.gates.viewable_ids`), with media signed for them. What
people type goes through :func:`nichevid.search.terms.parse` first, so no input can
make a query fail; input without letters or digits finds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from nichevid.i18n import gettext
from nichevid.media import keys
from nichevid.media import services as media
from nichevid.media.gates import admitted
from nichevid.media.tables import Video
from nichevid.replicas import read
from nichevid.search import engines
from nichevid.search.terms import Terms, parse

Kind = Literal["all", "videos", "people", "hashtags"]
KINDS: tuple[Kind, ...] = ("all", "videos", "people", "hashtags")
# How many of each kind the "all" view shows.
ALL_LIMITS = {"videos": 12, "people": 5, "hashtags": 8}
MAX_LIMIT = 50


@dataclass(frozen=True)
class VideoHit:
    """A video found."""

    slug: str
    caption: str
    hashtags: list[str]
    username: str
    display_name: str
    poster_url: str
    poster_jpeg_url: str


@dataclass(frozen=True)
class PersonHit:
    """A member found."""

    username: str
    display_name: str
    bio: str
    avatar_url: str


@dataclass(frozen=True)
class TagHit:
    """A hashtag found, with the number of videos that use it."""

    tag: str
    videos: int


@dataclass
class Results:
    """What one search found; ``more`` names the kinds with further pages."""

    query: str
    terms: Terms
    kind: Kind
    videos: list[VideoHit] = field(default_factory=list)
    people: list[PersonHit] = field(default_factory=list)
    hashtags: list[TagHit] = field(default_factory=list)
    more: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        """Whether nothing at all was found."""
        return not (self.videos or self.people or self.hashtags)


def _json(value: Any, default: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or default)


async def _video_hit(resources: Any, row: dict[str, Any], signed: bool) -> VideoHit:
    grid = _json(row["images"], {}).get("grid")
    poster = row["poster_key"] or ""
    jpeg = grid["jpg"] if grid else poster
    webp = grid["webp"] if grid else (keys.webp_of(poster) if poster else "")

    async def url(key: str) -> str:
        if not key:
            return ""
        return (
            await media.signed_url(resources, key)
            if signed
            else str(await resources.storage.url(key))
        )

    return VideoHit(
        slug=row["slug"],
        caption=row["caption"] or "",
        hashtags=[str(tag) for tag in _json(row["hashtags"], [])],
        username=row["username"],
        display_name=row["display_name"] or "",
        poster_url=await url(webp),
        poster_jpeg_url=await url(jpeg),
    )


async def find_videos(
    resources: Any, terms: Terms, *, limit: int = 20, offset: int = 0, viewer: Any = None
) -> list[VideoHit]:
    """Open videos whose caption or hashtags hold every term (as a word prefix); for a
    signed-in ``viewer`` also the gated ones they may watch, their images signed.

    Best matches first: hashtags weigh more than the caption, short captions that are
    mostly the terms more than long ones mentioning them once; then the newest. A
    page of a signed-in reader may show fewer hits than ``limit`` (gated videos they
    may not watch are left out after the page is read).
    """
    if not terms:
        return []
    sql = engines.statements()
    statement = sql.videos if viewer is None else sql.listed_videos
    rows = await read(Video.raw(statement, sql.match(terms), limit, offset))
    signed: set[int] = set()
    if viewer is not None:
        rows, signed = await admitted(resources, rows, viewer)
    return [await _video_hit(resources, row, int(row["id"]) in signed) for row in rows]


async def find_people(
    resources: Any, terms: Terms, *, limit: int = 20, offset: int = 0
) -> list[PersonHit]:
    """Active members whose username, display name or bio hold every term (as a prefix).

    The member whose username is exactly what was typed comes first; then the best
    matches, usernames weighing most and bios least.
    """
    if not terms:
        return []
    sql = engines.statements()
    rows = await read(Video.raw(sql.people, sql.match(terms), terms.joined, limit, offset))
    hits = []
    for row in rows:
        avatar = row["avatar_key"] or ""
        hits.append(
            PersonHit(
                username=row["username"],
                display_name=row["display_name"] or "",
                bio=row["bio"] or "",
                avatar_url=str(await resources.storage.url(avatar)) if avatar else "",
            )
        )
    return hits


async def find_hashtags(terms: Terms, *, limit: int = 20, offset: int = 0) -> list[TagHit]:
    """Hashtags of ready public videos that start with the typed words (joined by ``_``).

    The exact tag comes first, then the tags most videos use.
    """
    if not terms:
        return []
    sql = engines.statements()
    prefix = terms.joined
    rows = await read(
        Video.raw(
            sql.hashtags,
            sql.match(terms, hashtags_only=True),
            len(prefix),
            prefix,
            prefix,
            limit,
            offset,
        )
    )
    return [TagHit(tag=str(row["tag"]), videos=int(row["videos"])) for row in rows]


def check_kind(kind: str) -> Kind:
    """``kind`` if known; :class:`ValueError` naming the choices otherwise."""
    for known in KINDS:
        if kind == known:
            return known
    raise ValueError(gettext("type must be one of: %(choices)s.", choices=", ".join(KINDS)))


def check_page(limit: int, offset: int) -> None:
    """:class:`ValueError` for a page size or start out of range."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(gettext("limit must be between 1 and %(max)s.", max=MAX_LIMIT))
    if not 0 <= offset <= 10_000:
        raise ValueError(gettext("offset must be between 0 and 10000."))


def _visible(kind: str, hits: list[Any], hidden: Any) -> list[Any]:
    if not hidden or kind == "hashtags":
        return hits
    names = hidden.names if kind == "videos" else frozenset(hidden.blocked.values())
    return [hit for hit in hits if hit.username not in names]


async def search(
    resources: Any,
    query: str,
    kind: Kind = "all",
    *,
    limit: int = 20,
    offset: int = 0,
    hidden: Any = None,
    viewer: Any = None,
) -> Results:
    """Search videos, people and hashtags (``all``, a few of each) or one kind (a page).

    ``hidden`` (a :class:`nichevid.safety.services.Hidden`) leaves out the videos of the
    members the reader blocks, mutes or is blocked by, and the people of a block either
    way; a page may then show fewer hits. A signed-in ``viewer`` also finds the gated
    videos they may watch (see :func:`find_videos`).

    Raises:
        ValueError: For a page size or start out of range.
    """
    check_page(limit, offset)
    terms = parse(query)
    results = Results(query=query, terms=terms, kind=kind)
    if not terms:
        return results
    wanted = ALL_LIMITS if kind == "all" else {kind: limit}
    start = 0 if kind == "all" else offset
    finders: dict[str, Callable[[int], Awaitable[list[Any]]]] = {
        "videos": lambda n: find_videos(resources, terms, limit=n, offset=start, viewer=viewer),
        "people": lambda n: find_people(resources, terms, limit=n, offset=start),
        "hashtags": lambda n: find_hashtags(terms, limit=n, offset=start),
    }
    for name, size in wanted.items():
        # One more than shown tells whether another page exists.
        hits = await finders[name](size + 1)
        if len(hits) > size:
            results.more.add(name)
        setattr(results, name, _visible(name, hits[:size], hidden))
    return results
