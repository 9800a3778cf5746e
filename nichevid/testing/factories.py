"""Row factories for tests: made rows look like what the pipeline leaves behind."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any


async def ready_video(owner: Any, **fields: Any) -> Any:
    """A ready public 360x640 video of ``owner`` with one 360p rendition; ``fields``
    override any column of the video (``caption``, ``visibility``, ``status``...).

    No files are stored: tests that fetch the media put them in storage themselves.
    """
    from nichevid.media import keys
    from nichevid.media.tables import Rendition, Video

    slug = fields.pop("slug", None) or secrets.token_urlsafe(8)
    values: dict[str, Any] = {
        "slug": slug,
        "owner": owner if isinstance(owner, int) else owner.id,
        "caption": "",
        "hashtags": [],
        "status": "ready",
        "visibility": "public",
        "width": 360,
        "height": 640,
        "duration_ms": 3000,
        "poster_key": keys.poster_key(slug),
        "published_at": datetime.now(UTC),
        **fields,
    }
    video = Video(**values)
    await video.save()
    await Rendition(
        video=video.id,
        kind="mp4",
        label="360p",
        width=360,
        height=640,
        storage_key=keys.rendition_key(slug, "360p"),
        size_bytes=1000,
    ).save()
    return video
