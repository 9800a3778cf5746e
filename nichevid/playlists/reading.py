"""Reading playlists: lists of them, one of them, and which part of which a video is.

Counts are over the videos that are out (ready and not private), so a private or
unfinished video is no part for anyone else (see :mod:`nichevid.playlists.services`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nichevid.accounts.tables import User
from nichevid.media.tables import Video
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.replicas import read

_P, _I = Playlist._meta.tablename, PlaylistItem._meta.tablename
_V, _U = Video._meta.tablename, User._meta.tablename
# A video that is out for someone other than its owner: ready and not private.
_OUT = "w.status = 'ready' AND w.visibility <> 'private'"


@dataclass(frozen=True)
class Summary:
    """A playlist as lists show it: its title and how many videos are out in it."""

    id: int
    owner_id: int
    username: str
    title: str
    description: str
    videos: int

    @property
    def url(self) -> str:
        """Its public page."""
        return f"/u/{self.username}/playlists/{self.id}"


async def playlist_of_video(video_id: int) -> int | None:
    """The id of the playlist holding the video, if one does."""
    row = await PlaylistItem.select(PlaylistItem.playlist).where(PlaylistItem.video == video_id)
    return int(row[0]["playlist"]) if row else None


_SUMMARIES = f"""
    SELECT p.id, p.owner, p.title, p.description, u.username,
           (SELECT count(*) FROM {_I} j JOIN {_V} w ON w.id = j.video
             WHERE j.playlist = p.id AND {_OUT}) AS videos
      FROM {_P} p JOIN {_U} u ON u.id = p.owner
     WHERE {{}}
     ORDER BY p.updated_at DESC, p.id DESC
"""  # noqa: S608 - only table names are interpolated


def _summary(row: dict[str, Any]) -> Summary:
    return Summary(
        id=int(row["id"]),
        owner_id=int(row["owner"]),
        username=str(row["username"]),
        title=str(row["title"]),
        description=str(row["description"] or ""),
        videos=int(row["videos"] or 0),
    )


async def playlists_of(owner_id: int) -> list[Summary]:
    """Every playlist of a member, last changed first."""
    rows = await Playlist.raw(_SUMMARIES.format("p.owner = {}"), owner_id)
    return [_summary(row) for row in rows]


async def recent_playlists(limit: int) -> list[Summary]:
    """The playlists of active members changed last (empty ones too)."""
    rows = await read(Playlist.raw(_SUMMARIES.format("u.is_active") + " LIMIT {}", limit))
    return [_summary(row) for row in rows]


async def summary(playlist_id: int) -> Summary | None:
    """One playlist, whoever owns it (``None`` when there is none)."""
    rows = await Playlist.raw(_SUMMARIES.format("p.id = {}"), playlist_id)
    return _summary(rows[0]) if rows else None


@dataclass(frozen=True)
class Part:
    """Which part of which playlist a video is, counted over the videos that are out."""

    playlist_id: int
    title: str
    username: str
    part: int
    parts: int
    # The next open video of the playlist, if any (its slug).
    next_slug: str | None

    @property
    def url(self) -> str:
        """The playlist's public page."""
        return f"/u/{self.username}/playlists/{self.playlist_id}"


_PARTS = f"""
    SELECT i.video, p.id, p.title, u.username,
           (SELECT count(*) FROM {_I} j JOIN {_V} w ON w.id = j.video
             WHERE j.playlist = p.id AND j.position <= i.position AND {_OUT}) AS part,
           (SELECT count(*) FROM {_I} j JOIN {_V} w ON w.id = j.video
             WHERE j.playlist = p.id AND {_OUT}) AS parts,
           (SELECT w.slug FROM {_I} j JOIN {_V} w ON w.id = j.video
             WHERE j.playlist = p.id AND j.position > i.position
               AND w.status = 'ready' AND w.visibility = 'public' AND NOT w.age_restricted
             ORDER BY j.position LIMIT 1) AS next_slug
      FROM {_I} i JOIN {_V} v ON v.id = i.video JOIN {_P} p ON p.id = i.playlist
      JOIN {_U} u ON u.id = p.owner
     WHERE i.video IN ({{}}) AND v.status = 'ready' AND v.visibility <> 'private'
"""  # noqa: S608 - only table names and placeholders are interpolated


async def parts_of(video_ids: list[int]) -> dict[int, Part]:
    """The playlist part of each of ``video_ids`` that is in one, in one statement."""
    ids = list(dict.fromkeys(int(i) for i in video_ids))
    if not ids:
        return {}
    rows = await PlaylistItem.raw(_PARTS.format(", ".join(["{}"] * len(ids))), *ids)
    return {
        int(row["video"]): Part(
            playlist_id=int(row["id"]),
            title=str(row["title"]),
            username=str(row["username"]),
            part=int(row["part"] or 0),
            parts=int(row["parts"] or 0),
            next_slug=row["next_slug"],
        )
        for row in rows
    }
