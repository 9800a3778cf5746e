"""Moderation states of a video: held for review, published, removed (no HTTP here).

Plugins that review videos (the ``review_video`` gate) release held videos, take
videos down and put them back through :func:`set_review_status`, never through the
tables. Files are kept while a video is removed, so a decision can be reversed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nichevid.core.secrets import instance_secret
from nichevid.i18n import gettext
from nichevid.media.schedule import is_pending
from nichevid.media.settings import media_settings
from nichevid.media.signing import signed_query
from nichevid.media.tables import Rendition, Video
from nichevid.plugins import notify

# The states a reviewer may move a video between.
REVIEW_STATES = ("held", "ready", "removed")
# States a reviewer may move a video out of: a scheduled video too.
REVIEWABLE = (*REVIEW_STATES, "scheduled")


class ReviewError(Exception):
    """A status change that cannot be made; the message says why."""


async def set_review_status(pm: Any, video: Video | int, status: str) -> Video:
    """Move a video to ``held``, ``ready`` or ``removed``.

    ``ready`` needs a stored rendition; a video that never was published before gets
    its ``published_at`` now and fires ``video_ready``. Videos still processing or
    failed are not changed.

    Args:
        pm: The plugin manager (``video_ready`` fires through it).
        video: The video row or id.
        status: One of :data:`REVIEW_STATES`.

    Returns:
        The video row as it is afterwards.

    Raises:
        ReviewError: For an unknown status or video, a video that is not in a
            reviewable state, or ``ready`` without a playable rendition.
    """
    if status not in REVIEW_STATES:
        raise ReviewError(
            gettext(
                "Unknown status %(status)s; use one of %(states)s.",
                status=repr(status)[:40],
                states=", ".join(REVIEW_STATES),
            )
        )
    video_id = video if isinstance(video, int) else int(video.id)
    row = await Video.objects().where(Video.id == video_id).first()
    if row is None:
        raise ReviewError(gettext("There is no such video; it may have been deleted."))
    if row.status not in REVIEWABLE:
        raise ReviewError(
            gettext("The video is %(status)s; wait until it is processed.", status=row.status)
        )
    if status == "ready" and is_pending(row.publish_at):
        # Released or restored before its creator's publishing time: it waits for it.
        status = "scheduled"
    if row.status == status:
        return row
    values: dict[Any, Any] = {Video.status: status}
    first_time = status == "ready" and row.published_at is None
    if status == "ready":
        playable = await Rendition.exists().where(
            (Rendition.video == video_id) & (Rendition.kind == "mp4")
        )
        if not playable:
            raise ReviewError(
                gettext("The video has no playable rendition; process it again first.")
            )
        if first_time:
            values[Video.published_at] = datetime.now(UTC)
    await Video.update(values).where((Video.id == video_id) & (Video.status == row.status))
    fresh = await Video.objects().where(Video.id == video_id).first()
    if fresh is None:
        raise ReviewError(gettext("The video was deleted meanwhile."))
    if first_time and fresh.status == "ready":
        await notify(pm, "video_ready", video=fresh)
    return fresh


async def review_url(resources: Any, key: str) -> str:
    """A short-lived signed URL of one of a video's files, whatever its state.

    For reviewers only: it bypasses the viewer checks of
    :func:`nichevid.media.services.media_url`, so guard the page that shows it.
    """
    ttl = media_settings(resources.settings).signed_url_ttl
    url = str(await resources.storage.url(key, expires_in=ttl))
    if resources.storage.signed_by_media_route:
        url += "?" + signed_query(instance_secret(resources.settings), key, ttl)
    return url
