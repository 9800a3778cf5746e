"""The videos of a playlist, in order: tiles for viewers and lines for the owner's studio."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from nichevid.feed.tables import WatchEvent
from nichevid.media import gates
from nichevid.media.tables import Video
from nichevid.playlists.tables import PlaylistItem
from nichevid.social.listing import LIKES_HIDDEN, LISTABLE, GridItem, grid_items, not_owned_by
from nichevid.social.tables import VideoStats

_I, _V, _S = PlaylistItem._meta.tablename, Video._meta.tablename, VideoStats._meta.tablename


async def playlist_grid(
    resources: Any, playlist_id: int, viewer: Any, hide: Collection[int] = ()
) -> list[GridItem]:
    """The videos of the playlist ``viewer`` may watch, in the playlist's order; gated ones
    with their images signed for the viewer (such a page is theirs alone)."""
    left_out, hidden = not_owned_by(hide)
    rows = await VideoStats.raw(
        "SELECT v.id, v.slug, v.owner, v.visibility, v.age_restricted, v.caption, "  # noqa: S608
        "v.poster_key, v.images, v.width, v.height, "
        f"COALESCE(s.likes, 0) AS likes, {LIKES_HIDDEN} AS likes_hidden "
        f"FROM {_I} i JOIN {_V} v ON v.id = i.video LEFT JOIN {_S} s ON s.video = v.id "
        f"WHERE i.playlist = {{}} AND {LISTABLE} {left_out}ORDER BY i.position",
        playlist_id,
        *hidden,
    )
    kept, signed = await gates.admitted(resources, list(rows), viewer)
    return await grid_items(resources, kept, signed)


@dataclass(frozen=True)
class Line:
    """One video of a playlist as its owner manages it."""

    slug: str
    caption: str
    status: str
    visibility: str


async def studio_lines(playlist_id: int) -> list[Line]:
    """Every video of the playlist, whatever its state, in order."""
    rows = await PlaylistItem.raw(
        f"SELECT v.slug, v.caption, v.status, v.visibility FROM {_I} i "  # noqa: S608
        f"JOIN {_V} v ON v.id = i.video WHERE i.playlist = {{}} ORDER BY i.position",
        playlist_id,
    )
    return [
        Line(str(r["slug"]), str(r["caption"] or ""), str(r["status"]), str(r["visibility"]))
        for r in rows
    ]


async def unplaced_videos(owner_id: int) -> list[Line]:
    """The owner's videos in no playlist yet (newest first) that may join one."""
    rows = await PlaylistItem.raw(
        f"SELECT v.slug, v.caption, v.status, v.visibility FROM {_V} v "  # noqa: S608
        "WHERE v.owner = {} AND v.status NOT IN ('removed', 'failed') "
        f"AND NOT EXISTS (SELECT 1 FROM {_I} i WHERE i.video = v.id) ORDER BY v.id DESC",
        owner_id,
    )
    return [
        Line(str(r["slug"]), str(r["caption"] or ""), str(r["status"]), str(r["visibility"]))
        for r in rows
    ]


async def watched(viewer: Any, slugs: list[str]) -> set[str]:
    """The slugs among ``slugs`` that ``viewer`` (signed in) has watched."""
    if viewer is None or not slugs:
        return set()
    rows = await WatchEvent.raw(
        f"SELECT DISTINCT v.slug FROM {WatchEvent._meta.tablename} e "  # noqa: S608
        f"JOIN {_V} v ON v.id = e.video WHERE e.viewer = {{}} "
        f"AND v.slug IN ({', '.join(['{}'] * len(slugs))})",
        int(viewer.id),
        *slugs,
    )
    return {str(row["slug"]) for row in rows}
