"""Pages of videos the social pages show: the Following feed, profile and hashtag grids.

Each page is one SQL statement, like :mod:`nichevid.media.listing` (whose ``Card``
the Following feed reuses, so it renders with the home feed's card partial). Media URLs
of open videos are the storage's plain URLs; gated videos (followers-only,
subscribers-only, age-restricted) are listed only for viewers who may watch them, with
URLs signed for them (:mod:`nichevid.media.gates`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from nichevid.accounts.tables import User
from nichevid.media import gates, keys
from nichevid.media import services as media
from nichevid.media.listing import FEED_MAX_PIXELS, OPEN_VIDEO, Card
from nichevid.media.tables import Rendition, Video
from nichevid.safety.tables import SafetyPrefs
from nichevid.social.services import short_count
from nichevid.social.tables import Follow, VideoStats

GRID_PAGE = 12
FEED_PAGE = 5

# Owners the viewer is known to follow while a Following page is built, so checking
# each followers-only card costs no query (see ``plugin.may_view_video``).
known_followees: contextvars.ContextVar[frozenset[int] | None] = contextvars.ContextVar(
    "nichevid_social_known_followees", default=None
)


@contextlib.contextmanager
def followees_known(owner_ids: set[int]) -> Iterator[None]:
    """Within the block, the follow checks of these owners are answered without a query."""
    token = known_followees.set(frozenset(owner_ids))
    try:
        yield
    finally:
        known_followees.reset(token)


@dataclass(frozen=True)
class GridItem:
    """One tile of a grid of videos."""

    slug: str
    caption: str
    image_url: str
    width: int
    height: int
    likes: int
    # The creator hides the like counts of their videos (``nichevid.safety``).
    likes_hidden: bool = False
    # Kept at the top of its creator's profile (``nichevid.social.pins``).
    pinned: bool = False

    @property
    def likes_short(self) -> str:
        """The like count as a tile shows it."""
        return short_count(self.likes)


def _json(value: Any, empty: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value or empty


def has_tag() -> str:
    """SQL true when the video ``v`` carries the hashtag given as its one value."""
    if isinstance(Video._meta.db, SQLiteEngine):
        return "EXISTS (SELECT 1 FROM json_each(v.hashtags) WHERE json_each.value = {})"
    return "v.hashtags::jsonb @> jsonb_build_array({}::text)"


def not_owned_by(hide: Collection[int]) -> tuple[str, list[Any]]:
    """SQL leaving out the videos of ``hide`` (members hidden from the viewer), and its values."""
    owners = sorted({int(i) for i in hide})
    if not owners:
        return "", []
    return f"AND v.owner NOT IN ({', '.join('{}' for _ in owners)}) ", list(owners)


async def tagged_count(tag: str, since: datetime, until: datetime) -> int:
    """How many open videos carrying ``#tag`` were published from ``since`` until ``until``."""
    video = Video._meta.tablename
    rows = await Video.raw(
        f"SELECT COUNT(*) AS n FROM {video} v WHERE {OPEN_VIDEO} AND {has_tag()} "  # noqa: S608
        "AND v.published_at >= {} AND v.published_at < {}",
        tag,
        since,
        until,
    )
    return int(rows[0]["n"]) if rows else 0


async def _page(
    sql: str, args: list[Any], before: int | None, limit: int, hide: Collection[int] = ()
) -> Any:
    left_out, hidden = not_owned_by(hide)
    sql, args = sql.replace("/*before*/", f"{left_out}/*before*/"), [*args, *hidden]
    if before is not None:
        sql = sql.replace("/*before*/", "AND v.id < {}")
        args = [*args, before]
    rows = await VideoStats.raw(sql + " ORDER BY v.id DESC LIMIT {}", *args, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, int(rows[-1]["id"]) if more and rows else None


# Whether the owner of ``v`` hides the like counts of their videos.
LIKES_HIDDEN = (
    f"COALESCE((SELECT p.hide_like_counts FROM {SafetyPrefs._meta.tablename} p "  # noqa: S608
    "WHERE p.member = v.owner), FALSE)"
)


# Rows of ready videos that someone other than their owner may see: open ones, and the
# gated ones a viewer's listing keeps only after ``gates.viewable_ids`` admits them.
LISTABLE = "v.status = 'ready' AND v.visibility <> 'private'"


def _grid_sql(where: str, listed: str = OPEN_VIDEO) -> str:
    video, stats = Video._meta.tablename, VideoStats._meta.tablename
    return (
        "SELECT v.id, v.slug, v.owner, v.visibility, v.age_restricted, v.caption, "  # noqa: S608
        "v.poster_key, v.images, v.width, v.height, v.pinned_at, "
        f"COALESCE(s.likes, 0) AS likes, {LIKES_HIDDEN} AS likes_hidden "
        f"FROM {video} v LEFT JOIN {stats} s ON s.video = v.id "
        f"WHERE {listed} AND {where} /*before*/"
    )


async def grid_items(
    resources: Any, rows: list[dict[str, Any]], signed: Collection[int] = ()
) -> list[GridItem]:
    """Tiles of video rows (as the grids here select them); ``signed``: ids whose image
    URL is signed for the viewer."""
    storage = resources.storage
    items = []
    for row in rows:
        grid = _json(row["images"], {}).get("grid")
        key = (grid.get("webp") or grid.get("jpg")) if grid else row["poster_key"]
        if not key:
            url = ""
        elif int(row["id"]) in signed:
            url = await media.signed_url(resources, key)
        else:
            url = await storage.url(key)
        items.append(
            GridItem(
                slug=row["slug"],
                caption=row["caption"] or "",
                image_url=url,
                width=int(grid["width"]) if grid else int(row["width"] or 0),
                height=int(grid["height"]) if grid else int(row["height"] or 0),
                likes=int(row["likes"]),
                likes_hidden=bool(row["likes_hidden"]),
                pinned=row.get("pinned_at") is not None,
            )
        )
    return items


async def profile_grid(
    resources: Any,
    owner: Any,
    *,
    before: int | None = None,
    limit: int = GRID_PAGE,
    hide: Collection[int] = (),
) -> tuple[list[GridItem], int | None]:
    """The ready public videos of ``owner`` (row or id), grid-sized posters: the pinned
    ones first (newest pin first, on the first page only), then the others newest first.

    None when ``owner`` is among ``hide`` (members the viewer blocks or is blocked by).
    """
    owner_id = owner if isinstance(owner, int) else owner.id
    pinned: list[dict[str, Any]] = []
    if before is None and int(owner_id) not in {int(i) for i in hide}:
        sql = _grid_sql("v.owner = {} AND v.pinned_at IS NOT NULL").replace("/*before*/", "")
        pinned = list(await VideoStats.raw(sql + " ORDER BY v.pinned_at DESC", owner_id))
    rest = _grid_sql("v.owner = {} AND v.pinned_at IS NULL")
    rows, cursor = await _page(rest, [owner_id], before, limit, hide)
    return await grid_items(resources, pinned + list(rows)), cursor


async def hashtag_grid(
    resources: Any,
    tag: str,
    *,
    before: int | None = None,
    limit: int = GRID_PAGE,
    hide: Collection[int] = (),
    viewer: Any = None,
) -> tuple[list[GridItem], int | None]:
    """The open videos carrying ``#tag``, newest first, less those of ``hide``.

    With a signed-in ``viewer``, also the gated ones they may watch (one query for the
    page, then :func:`nichevid.media.gates.admitted`), their images signed for them:
    such a page is theirs alone, never to be shared or cached for others.
    """
    if viewer is None:
        rows, cursor = await _page(_grid_sql(has_tag()), [tag], before, limit, hide)
        return await grid_items(resources, rows), cursor
    sql = _grid_sql(has_tag(), listed=LISTABLE)
    rows, cursor = await _page(sql, [tag], before, limit, hide)
    kept, signed = await gates.admitted(resources, rows, viewer)
    return await grid_items(resources, kept, signed), cursor


async def marked_grid(
    resources: Any,
    viewer: Any,
    marks: Any,
    *,
    before: int | None = None,
    limit: int = GRID_PAGE,
    hide: Collection[int] = (),
) -> tuple[list[GridItem], int | None]:
    """The videos ``viewer`` marked in ``marks`` (a table with ``viewer`` and ``video``:
    watch events, bookmarks, likes), last marked first, each once, less those of
    ``hide``; gated ones only while ``viewer`` may still watch them (signed for them).

    The cursor is the id of the mark a page ended at.
    """
    video, stats, table = (t._meta.tablename for t in (Video, VideoStats, marks))
    left_out, hidden = not_owned_by(hide)
    since = "AND h.seen < {} " if before is not None else ""
    sql = (
        "SELECT v.id, v.slug, v.owner, v.visibility, v.age_restricted, v.caption, "  # noqa: S608
        "v.poster_key, v.images, v.width, v.height, h.seen, "
        f"COALESCE(s.likes, 0) AS likes, {LIKES_HIDDEN} AS likes_hidden "
        f"FROM (SELECT video, MAX(id) AS seen FROM {table} WHERE viewer = {{}} GROUP BY video) h "
        f"JOIN {video} v ON v.id = h.video LEFT JOIN {stats} s ON s.video = v.id "
        f"WHERE {LISTABLE} {left_out}{since}ORDER BY h.seen DESC LIMIT {{}}"
    )
    args = [_user_id(viewer), *hidden, *([before] if before is not None else []), limit + 1]
    rows = list(await VideoStats.raw(sql, *args))
    cursor = int(rows[limit - 1]["seen"]) if len(rows) > limit else None
    kept, signed = await gates.admitted(resources, rows[:limit], viewer)
    return await grid_items(resources, kept, signed), cursor


def _user_id(user: Any) -> int:
    return int(user if isinstance(user, int) else user.id)


async def following_cards(
    resources: Any,
    viewer: Any,
    *,
    before: int | None = None,
    limit: int = FEED_PAGE,
    hide: Collection[int] = (),
) -> tuple[list[Card], int | None]:
    """Ready videos of the members ``viewer`` follows, newest first, as feed cards, less
    those of ``hide`` (members the viewer mutes).

    Open videos and the gated ones ``viewer`` may watch (followers-only, subscribers-only,
    age-restricted: :func:`nichevid.media.gates.viewable_ids`, for the page at once);
    gated cards carry media URLs signed for ``viewer``.
    """
    video, rendition, user, follow = (t._meta.tablename for t in (Video, Rendition, User, Follow))
    sql = (
        "SELECT v.id, v.slug, v.owner, v.caption, v.hashtags, v.width, v.height, "  # noqa: S608
        "v.duration_ms, v.poster_key, v.images, v.visibility, v.age_restricted, "
        "u.username, u.display_name, "
        f"(SELECT r.storage_key FROM {rendition} r WHERE r.video = v.id AND r.kind = 'mp4' "
        "ORDER BY CASE WHEN r.width * r.height <= {} THEN 0 ELSE 1 END, "
        "r.width * r.height DESC LIMIT 1) AS stream_key "
        f"FROM {follow} f JOIN {video} v ON v.owner = f.followee "
        f"JOIN {user} u ON u.id = v.owner WHERE f.follower = {{}} AND v.status = 'ready' "
        "AND v.visibility <> 'private' /*before*/"
    )
    rows, cursor = await _page(sql, [FEED_MAX_PIXELS, viewer.id], before, limit, hide)
    videos = [gates.video_of(row) for row in rows]
    with followees_known({int(row["owner"]) for row in rows}):
        allowed = await gates.viewable_ids(resources, videos, viewer)
    cards = []
    for row, item in zip(rows, videos, strict=True):
        if item.id in allowed and (card := await _card(resources, row, item)):
            cards.append(card)
    return cards, cursor


async def _card(resources: Any, row: dict[str, Any], video: Video) -> Card | None:
    """The card of an admitted ``video``: plain URLs when it is open, else signed ones."""
    if not row["stream_key"]:
        return None
    gated = not media.is_open(video)

    async def url(key: str) -> str:
        if not key:
            return ""
        return await media.signed_url(resources, key) if gated else await resources.storage.url(key)

    poster = row["poster_key"] or ""
    card_size = _json(row["images"], {}).get("card")
    return Card(
        id=int(row["id"]),
        slug=row["slug"],
        caption=row["caption"] or "",
        username=row["username"],
        display_name=row["display_name"] or "",
        stream_url=await url(row["stream_key"]),
        poster_url=await url(card_size["webp"] if card_size else keys.webp_of(poster)),
        poster_jpeg_url=await url(poster),
        width=int(row["width"] or 0),
        height=int(row["height"] or 0),
        duration_ms=int(row["duration_ms"] or 0),
        hashtags=[str(tag) for tag in _json(row["hashtags"], [])],
    )
