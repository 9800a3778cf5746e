"""What can be reported and acted on: videos, comments, playlists and accounts, by their ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nichevid.accounts.services import get_user_by_id, get_user_by_username
from nichevid.comments.services import get_comment
from nichevid.i18n import gettext
from nichevid.media.services import get_video
from nichevid.playlists.tables import Playlist
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.tables import TARGET_KINDS


@dataclass(frozen=True)
class Target:
    """One reportable item: its kind, id, owner and a short public label."""

    kind: str
    id: int
    owner_id: int | None
    label: str
    row: Any


def check_kind(kind: str) -> str:
    """``kind`` when it is one of :data:`TARGET_KINDS`.

    Raises:
        ModerationError: 404 for anything else.
    """
    if kind not in TARGET_KINDS:
        raise ModerationError(
            404, gettext("Only videos, comments, playlists and accounts can be reported.")
        )
    return kind


async def find(kind: str, ref: str, *, any_state: bool = False) -> Target:
    """The item ``ref`` names: a video slug, a comment or playlist id, or a username (or id).

    Args:
        kind: ``video``, ``comment``, ``playlist`` or ``account``.
        ref: The public reference of the item.
        any_state: Also find removed videos, deleted comments and disabled accounts
            (moderators); otherwise only what people can see now.

    Raises:
        ModerationError: 404 when there is no such item (or it is not visible).
    """
    check_kind(kind)
    missing = ModerationError(
        404, gettext("There is nothing to report here: it may have been deleted already.")
    )
    if kind == "video":
        video = await get_video(slug=ref) if 0 < len(ref) <= 16 else None
        if video is None and ref.isdigit() and any_state:
            video = await get_video(video_id=int(ref))
        if video is None or (not any_state and video.status != "ready"):
            raise missing
        return Target("video", int(video.id), int(video.owner), video.slug, video)
    if kind == "comment":
        comment = await get_comment(int(ref)) if ref.isdigit() and len(ref) < 18 else None
        if comment is None or (not any_state and comment.deleted_at is not None):
            raise missing
        return Target("comment", int(comment.id), int(comment.author), comment.text[:80], comment)
    if kind == "playlist":
        # Deleting a playlist deletes its row: there is no other state to find.
        playlist = None
        if ref.isdigit() and len(ref) < 18:
            playlist = await Playlist.objects().where(Playlist.id == int(ref)).first()
        if playlist is None:
            raise missing
        return Target("playlist", int(playlist.id), int(playlist.owner), playlist.title, playlist)
    user = None
    if ref.isdigit() and len(ref) < 18 and any_state:
        user = await get_user_by_id(int(ref))
    if user is None and len(ref) <= 32:
        user = await get_user_by_username(ref)
    if user is None or (not any_state and not user.is_active):
        raise missing
    return Target("account", int(user.id), int(user.id), user.username, user)
