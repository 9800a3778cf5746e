"""Cards for feeds: ready videos with their creator, stream and poster, in one query.

The feed pages are the hottest path of the site, so a page of cards is read with a
single SQL statement (video, owner and best rendition via a correlated subquery),
never one query per card.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nichevid.accounts.tables import User
from nichevid.media import keys
from nichevid.media.tables import Rendition, Video

# Rows (aliased ``v``) of open videos: anybody may see them, in any shared page or render.
OPEN_VIDEO = "v.status = 'ready' AND v.visibility = 'public' AND NOT v.age_restricted"

# Renditions up to this many pixels are preferred for feed playback (720x1280).
FEED_MAX_PIXELS = 720 * 1280


@dataclass(frozen=True)
class Track:
    """A subtitle track of a card's video, as its ``<track>`` element shows it."""

    language: str
    label: str
    src: str
    # The file is on another origin (a CDN): the video element then asks with CORS.
    cross_origin: bool = False


@dataclass(frozen=True)
class Card:
    """What a feed card shows of one video.

    ``tracks`` starts empty and is filled for a whole page in ``prepare_cards`` (the
    captions plugin does, with one query), so the card query stays one statement.
    """

    id: int
    slug: str
    caption: str
    username: str
    display_name: str
    stream_url: str
    poster_url: str
    poster_jpeg_url: str
    width: int
    height: int
    duration_ms: int
    hashtags: list[str] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)

    @property
    def creator(self) -> str:
        """The name to show for the creator."""
        return self.display_name or self.username


def _sql(where: str, visible: str = f"AND {OPEN_VIDEO}") -> str:
    video, rendition, user = (t._meta.tablename for t in (Video, Rendition, User))
    return f"""
        SELECT v.id, v.slug, v.caption, v.hashtags, v.width, v.height, v.duration_ms,
               v.poster_key, v.images, u.username, u.display_name,
               (SELECT r.storage_key FROM {rendition} r
                 WHERE r.video = v.id AND r.kind = 'mp4'
                 ORDER BY CASE WHEN r.width * r.height <= {{}} THEN 0 ELSE 1 END,
                          r.width * r.height DESC
                 LIMIT 1) AS stream_key
          FROM {video} v JOIN {user} u ON u.id = v.owner
         WHERE v.status = 'ready' {visible} {where}
         ORDER BY v.id DESC
         LIMIT {{}}
    """  # noqa: S608 - only table names are interpolated; values are bound parameters


_FIRST_PAGE = _sql("")
_NEXT_PAGE = _sql("AND v.id < {}")
_BY_SLUG = _sql("AND v.slug = {}")
_ANY_BY_SLUG = _sql("AND v.slug = {}", visible="")


async def _cards(
    storage: Any, rows: list[dict[str, Any]], url: Callable[[str], Awaitable[str]] | None = None
) -> list[Card]:
    url = url or storage.url
    cards = []
    for row in rows:
        if not row["stream_key"]:
            continue
        tags = row["hashtags"]
        poster = row["poster_key"] or ""
        images = row["images"]
        card_size = (json.loads(images) if isinstance(images, str) else images or {}).get("card")
        card_webp = card_size["webp"] if card_size else keys.webp_of(poster)
        cards.append(
            Card(
                id=int(row["id"]),
                slug=row["slug"],
                caption=row["caption"] or "",
                username=row["username"],
                display_name=row["display_name"] or "",
                stream_url=await url(row["stream_key"]),
                poster_url=await url(card_webp) if poster else "",
                poster_jpeg_url=await url(poster) if poster else "",
                width=int(row["width"] or 0),
                height=int(row["height"] or 0),
                duration_ms=int(row["duration_ms"] or 0),
                hashtags=list(json.loads(tags) if isinstance(tags, str) else tags or []),
            )
        )
    return cards


async def public_cards(
    resources: Any, *, before: int | None = None, limit: int = 5
) -> tuple[list[Card], int | None]:
    """Open videos (ready, public, not age-restricted), newest first, after ``before``.

    Returns:
        The cards and the cursor of the next page (``None`` at the end).
    """
    if before is None:
        rows = await Video.raw(_FIRST_PAGE, FEED_MAX_PIXELS, limit + 1)
    else:
        rows = await Video.raw(_NEXT_PAGE, FEED_MAX_PIXELS, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = int(rows[-1]["id"]) if more and rows else None
    return await _cards(resources.storage, rows), cursor


async def cards_by_ids(resources: Any, ids: list[int]) -> list[Card]:
    """The cards of these videos in the given order, leaving out any no longer shown."""
    if not ids:
        return []
    marks = ", ".join("{}" for _ in ids)
    rows = await Video.raw(_sql(f"AND v.id IN ({marks})"), FEED_MAX_PIXELS, *ids, len(ids))
    by_id = {card.id: card for card in await _cards(resources.storage, rows)}
    return [by_id[video_id] for video_id in ids if video_id in by_id]


async def public_card(resources: Any, slug: str) -> Card | None:
    """The card of one open video (ready, public, not age-restricted), or ``None``."""
    rows = await Video.raw(_BY_SLUG, FEED_MAX_PIXELS, slug, 1)
    cards = await _cards(resources.storage, rows)
    return cards[0] if cards else None


async def viewable_card(resources: Any, video: Video, viewer: Any) -> Card | None:
    """The card of a ready ``video`` that is not open, with media URLs signed for
    ``viewer``, or ``None`` when ``viewer`` may not watch it (``may_view``)."""
    from nichevid.media import services

    if video.status != "ready" or not await services.may_view(resources, video, viewer):
        return None

    async def signed(key: str) -> str:
        return await services.media_url(resources, video, key, viewer)

    rows = await Video.raw(_ANY_BY_SLUG, FEED_MAX_PIXELS, video.slug, 1)
    cards = await _cards(resources.storage, rows, signed)
    return cards[0] if cards else None
