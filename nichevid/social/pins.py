"""Pinned videos: a creator keeps up to :data:`PIN_MAX` of their videos at the top of
their profile, newest pin first. Only videos anyone may watch (ready, public, not
age-restricted) can be pinned; one that stops being so leaves the profile's top with
the rest of the profile, and can be unpinned from the studio."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.media.tables import Video
from nichevid.social.errors import SocialError

PIN_MAX = 3


async def pinned_count(owner_id: int) -> int:
    """How many of the owner's videos are pinned."""
    return int(await Video.count().where((Video.owner == owner_id) & Video.pinned_at.is_not_null()))


async def set_pinned(video: Video, pinned: bool, now: datetime | None = None) -> Video:
    """Pin (``pinned=True``) or unpin one of its owner's videos; repeating changes nothing.

    Raises:
        SocialError: 400 for a video nobody else may watch, or when the owner has
            :data:`PIN_MAX` pinned already.
    """
    if not pinned:
        await Video.update({Video.pinned_at: None}).where(Video.id == video.id)
    elif video.pinned_at is None:
        if not media.is_open(video):
            raise SocialError(
                400, gettext("Only published public videos can be pinned to your profile.")
            )
        if await pinned_count(int(video.owner)) >= PIN_MAX:
            raise SocialError(
                400,
                gettext("You can pin at most %(max)s videos: unpin one first.", max=PIN_MAX),
            )
        await Video.update({Video.pinned_at: now or datetime.now(UTC)}).where(Video.id == video.id)
    fresh = await Video.objects().where(Video.id == video.id).first()
    if fresh is None:
        raise SocialError(404, gettext("No such video among yours."))
    return fresh


async def own_video(slug: str, user: Any) -> Video:
    """The caller's video ``slug``; 404 for anyone else's, as if it did not exist."""
    video = await media.get_video(slug=slug) if 0 < len(slug) <= 16 else None
    if video is None or user is None or video.owner != user.id:
        raise SocialError(404, gettext("No such video among yours."))
    return video
