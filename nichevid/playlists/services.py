"""Playlist services: plain async functions for the pages, the API and other packages.

Rules:

* Creators (and the roles above) make up to :data:`PLAYLISTS_PER_CREATOR` playlists,
  each with a title of 1 to :data:`TITLE_MAX` characters, a description of up to
  :data:`DESCRIPTION_MAX`, and up to :data:`VIDEOS_PER_PLAYLIST` of their own videos.
* A video belongs to one playlist at most, so a card can say which part it is.
* Videos keep their own visibility: a playlist shows each viewer only the videos they
  may watch, and counts its parts over the videos that are out (ready and not private).
* Only the owner changes a playlist; to anyone else another's playlist answers "not
  found" to a change. Moderators and admins delete any (a title or description against
  the rules). Deleting a playlist keeps its videos.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nichevid.accounts.services import has_role
from nichevid.accounts.tables import User
from nichevid.db import writing
from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.media.tables import Video
from nichevid.playlists.reading import playlist_of_video
from nichevid.playlists.tables import Playlist, PlaylistItem

PLAYLISTS_PER_CREATOR = 50
VIDEOS_PER_PLAYLIST = 200
TITLE_MAX = 80
DESCRIPTION_MAX = 500

_P, _I = Playlist._meta.tablename, PlaylistItem._meta.tablename
_V, _U = Video._meta.tablename, User._meta.tablename


class PlaylistError(Exception):
    """A refused playlist action: the HTTP status and a message saying what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def no_playlist() -> str:
    """The answer for a playlist that does not exist (or is not the caller's to change)."""
    return gettext("There is no such playlist; it may have been deleted.")


def one_step() -> str:
    """The answer for a move of other than one place."""
    return gettext("Videos move one place up or down at a time.")


def check_text(title: str, description: str) -> tuple[str, str]:
    """The title and description, trimmed, or a 400 error saying what to change."""
    title, description = " ".join(title.split()), description.strip()
    if not title:
        raise PlaylistError(400, gettext("Give the playlist a title."))
    if len(title) > TITLE_MAX:
        raise PlaylistError(400, gettext("Titles have at most %(max)s characters.", max=TITLE_MAX))
    if len(description) > DESCRIPTION_MAX:
        raise PlaylistError(
            400,
            gettext("Descriptions have at most %(max)s characters.", max=DESCRIPTION_MAX),
        )
    return title, description


def _check_creator(user: Any) -> None:
    if not has_role(user, "creator"):
        raise PlaylistError(403, gettext("Only creators make playlists of their videos."))


async def create_playlist(user: Any, title: str, description: str = "") -> Playlist:
    """A new, empty playlist of ``user``'s.

    Raises:
        PlaylistError: 403 for members who are not creators, 400 for a bad title or
            description, 409 past :data:`PLAYLISTS_PER_CREATOR`.
    """
    _check_creator(user)
    title, description = check_text(title, description)
    async with writing(Playlist):
        if await Playlist.count().where(Playlist.owner == user.id) >= PLAYLISTS_PER_CREATOR:
            raise PlaylistError(
                409,
                gettext(
                    "You have %(max)s playlists, the most there can be: delete one first.",
                    max=PLAYLISTS_PER_CREATOR,
                ),
            )
        playlist = Playlist(owner=user.id, title=title, description=description)
        await playlist.save()
    return playlist


async def own_playlist(user: Any, playlist_id: int) -> Playlist:
    """``user``'s playlist ``playlist_id``, or a 404 error (also for someone else's)."""
    playlist = await Playlist.objects().where(Playlist.id == playlist_id).first()
    if playlist is None or user is None or int(playlist.owner) != int(user.id):
        raise PlaylistError(404, no_playlist())
    return playlist


async def edit_playlist(user: Any, playlist_id: int, title: str, description: str) -> Playlist:
    """Change the title and description of ``user``'s playlist."""
    playlist = await own_playlist(user, playlist_id)
    playlist.title, playlist.description = check_text(title, description)
    playlist.updated_at = datetime.now(UTC)
    await playlist.save([Playlist.title, Playlist.description, Playlist.updated_at])
    return playlist


async def delete_playlist(user: Any, playlist_id: int) -> Playlist:
    """Delete ``user``'s playlist, or any as a moderator; its videos stay as they are.

    Returns:
        The playlist as it was.
    """
    playlist = await Playlist.objects().where(Playlist.id == playlist_id).first()
    if playlist is None or not (
        (user is not None and int(playlist.owner) == int(user.id)) or has_role(user, "moderator")
    ):
        raise PlaylistError(404, no_playlist())
    await Playlist.delete().where(Playlist.id == playlist.id)
    return playlist


async def add_video(user: Any, playlist_id: int, slug: str) -> None:
    """Put ``user``'s video ``slug`` at the end of their playlist.

    Raises:
        PlaylistError: 404 for an unknown playlist or a video that is not theirs; 409
            for a video already in a playlist, or a full playlist; 400 for a removed or
            failed video.
    """
    playlist = await own_playlist(user, playlist_id)
    video = await media.get_video(slug=slug) if 0 < len(slug) <= 16 else None
    if video is None or int(video.owner) != int(user.id):
        raise PlaylistError(404, gettext("No such video among yours."))
    if video.status in ("removed", "failed"):
        raise PlaylistError(
            400, gettext("This video cannot be shown, so it cannot join a playlist.")
        )
    async with writing(PlaylistItem):
        placed = await PlaylistItem.objects().where(PlaylistItem.video == video.id).first()
        if placed is not None:
            raise PlaylistError(409, await _already_in(int(placed.playlist)))
        count = await PlaylistItem.count().where(PlaylistItem.playlist == playlist.id)
        if count >= VIDEOS_PER_PLAYLIST:
            raise PlaylistError(409, full())
        if not await _append(int(playlist.id), int(video.id)):
            # Another request put it in a playlist a moment ago.
            raise PlaylistError(409, await _already_in(int(playlist.id)))
    await _touch(playlist.id)


async def _append(playlist_id: int, video_id: int) -> bool:
    """Put the video after the playlist's last one; ``False`` when it is in one already."""
    added = await PlaylistItem.raw(
        f"INSERT INTO {_I} (playlist, video, position) "  # noqa: S608
        f"SELECT {{}}, {{}}, COALESCE(MAX(position), 0) + 1 FROM {_I} WHERE playlist = {{}} "
        "ON CONFLICT (video) DO NOTHING RETURNING id",
        playlist_id,
        video_id,
        playlist_id,
    )
    return bool(added)


async def _already_in(playlist_id: int) -> str:
    row = await Playlist.select(Playlist.title).where(Playlist.id == playlist_id).first()
    title = row["title"] if row else ""
    return gettext(
        "This video is already in the playlist “%(title)s”: take it out there first.",
        title=title,
    )


async def place_video(video: Any, playlist_id: int | None) -> None:
    """Put ``video`` at the end of its owner's playlist ``playlist_id``, out of the one it
    was in; ``None`` takes it out of any. Nothing changes when it is there already.

    Raises:
        PlaylistError: 404 when the playlist is not the video owner's; 409 when it is full.
    """
    owner = int(video.owner if isinstance(video.owner, int) else video.owner.id)
    current = await playlist_of_video(int(video.id))
    if current == playlist_id:
        return
    if playlist_id is not None:
        target = await Playlist.objects().where(Playlist.id == playlist_id).first()
        if target is None or int(target.owner) != owner:
            raise PlaylistError(404, no_playlist())
    async with writing(PlaylistItem):
        if current is not None:
            gone = await PlaylistItem.raw(
                f"DELETE FROM {_I} WHERE video = {{}} RETURNING position",  # noqa: S608
                video.id,
            )
            await PlaylistItem.raw(
                f"UPDATE {_I} SET position = position - 1 "  # noqa: S608
                "WHERE playlist = {} AND position > {}",
                current,
                int(gone[0]["position"]) if gone else 0,
            )
        if playlist_id is not None:
            held = await PlaylistItem.count().where(PlaylistItem.playlist == playlist_id)
            if held >= VIDEOS_PER_PLAYLIST:
                raise PlaylistError(409, full())
            if not await _append(playlist_id, int(video.id)):
                raise PlaylistError(409, await _already_in(playlist_id))
    for changed in (current, playlist_id):
        if changed is not None:
            await _touch(changed)


def full() -> str:
    """The answer for a playlist that holds all the videos it may."""
    return gettext(
        "A playlist holds at most %(max)s videos: start another one.", max=VIDEOS_PER_PLAYLIST
    )


async def _item(user: Any, playlist_id: int, slug: str) -> tuple[Playlist, PlaylistItem]:
    playlist = await own_playlist(user, playlist_id)
    video = await media.get_video(slug=slug) if 0 < len(slug) <= 16 else None
    item = (
        None
        if video is None
        else await PlaylistItem.objects()
        .where((PlaylistItem.video == video.id) & (PlaylistItem.playlist == playlist.id))
        .first()
    )
    if item is None:
        raise PlaylistError(404, gettext("This video is not in the playlist."))
    return playlist, item


async def remove_video(user: Any, playlist_id: int, slug: str) -> None:
    """Take video ``slug`` out of ``user``'s playlist; the videos after it move up."""
    playlist, item = await _item(user, playlist_id, slug)
    async with writing(PlaylistItem):
        await PlaylistItem.delete().where(PlaylistItem.id == item.id)
        await PlaylistItem.raw(
            f"UPDATE {_I} SET position = position - 1 "  # noqa: S608
            "WHERE playlist = {} AND position > {}",
            playlist.id,
            item.position,
        )
    await _touch(playlist.id)


async def move_video(user: Any, playlist_id: int, slug: str, step: int) -> None:
    """Move video ``slug`` one place earlier (``step=-1``) or later (``step=1``).

    Moving the first video earlier or the last later changes nothing.

    Raises:
        PlaylistError: 400 for another step.
    """
    if step not in (-1, 1):
        raise PlaylistError(400, one_step())
    playlist, item = await _item(user, playlist_id, slug)
    async with writing(PlaylistItem):
        order = "DESC" if step < 0 else "ASC"
        compare = "<" if step < 0 else ">"
        rows = await PlaylistItem.raw(
            f"SELECT id, position FROM {_I} WHERE playlist = {{}} "  # noqa: S608
            f"AND position {compare} {{}} ORDER BY position {order} LIMIT 1",
            playlist.id,
            item.position,
        )
        if not rows:
            return
        other_id, other_position = int(rows[0]["id"]), int(rows[0]["position"])
        await PlaylistItem.update({PlaylistItem.position: other_position}).where(
            PlaylistItem.id == item.id
        )
        await PlaylistItem.update({PlaylistItem.position: item.position}).where(
            PlaylistItem.id == other_id
        )
    await _touch(playlist.id)


async def set_order(user: Any, playlist_id: int, slugs: list[str]) -> None:
    """Put the videos of ``user``'s playlist in the order of ``slugs``.

    Raises:
        PlaylistError: 400 unless ``slugs`` names every video of the playlist once.
    """
    playlist = await own_playlist(user, playlist_id)
    rows = await PlaylistItem.raw(
        f"SELECT i.id, v.slug FROM {_I} i JOIN {_V} v ON v.id = i.video "  # noqa: S608
        "WHERE i.playlist = {}",
        playlist.id,
    )
    items = {str(row["slug"]): int(row["id"]) for row in rows}
    if len(slugs) != len(set(slugs)) or set(slugs) != set(items):
        raise PlaylistError(
            400, gettext("Name every video of the playlist once, in the order you want.")
        )
    async with writing(PlaylistItem):
        for position, slug in enumerate(slugs, start=1):
            await PlaylistItem.update({PlaylistItem.position: position}).where(
                PlaylistItem.id == items[slug]
            )
    await _touch(playlist.id)


async def _touch(playlist_id: int) -> None:
    await Playlist.update({Playlist.updated_at: datetime.now(UTC)}).where(
        Playlist.id == playlist_id
    )
