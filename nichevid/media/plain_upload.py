"""Uploads in one plain request: the body is the video file.

Scripts that cannot speak tus send the file as the body of ``POST /api/videos``.
The body goes through a tus upload row written in one pass, so the size limit, the
quota and the limit on unfinished uploads apply exactly as they do to tus uploads,
and the expiry job removes whatever a crashed process leaves behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from nichevid.i18n import gettext
from nichevid.media import services
from nichevid.media.settings import media_settings
from nichevid.media.tables import Video
from nichevid.media.tus import services as uploads


async def receive_video(
    resources: Any,
    owner: Any,
    chunks: AsyncIterator[bytes],
    length: int | None,
    metadata: dict[str, str],
) -> Video:
    """Store one request body as a new video of ``owner`` and queue its processing.

    Args:
        resources: The running :class:`nichevid.runtime.Resources`.
        owner: The uploading user's row.
        chunks: The body.
        length: Its announced size; ``None`` when unknown (chunked transfer): the
            upload then reserves the room left (size limit or quota) and ends with
            the body.
        metadata: ``filename`` (for the extension), ``caption`` and ``visibility``.

    Raises:
        uploads.UploadError: With the HTTP status and the reason (403 when a plugin's
            ``upload_accept`` gate refuses); nothing is kept.
    """
    settings = resources.settings
    if length == 0:
        raise uploads.UploadError(
            400, gettext("The body is empty; send the video file as the body.")
        )
    await uploads.check_accepted(resources, owner, metadata)
    room = length if length is not None else await _room(settings, owner)
    upload = await uploads.create_upload(settings, owner, room, metadata)
    try:
        try:
            upload = await uploads.append(resources, upload, 0, chunks)
        except uploads.UploadError as exc:
            if exc.status == 413 and length is None:
                raise uploads.UploadError(
                    413,
                    gettext(
                        "The file is larger than %(size)s bytes, the most you may upload now.",
                        size=room,
                    ),
                ) from exc
            raise
        if upload.status == "uploading" and length is None:
            upload = await uploads.finish_at_received(resources, upload)
        elif upload.status == "uploading":
            raise uploads.UploadError(
                400,
                gettext(
                    "The body ended after %(received)s of %(size)s bytes; send it again.",
                    received=upload.received,
                    size=length,
                ),
            )
    finally:
        if upload.status == "uploading":
            await uploads.terminate(settings, upload)
    video = await services.get_video(video_id=upload.video) if upload.video else None
    if video is None:
        raise uploads.UploadError(
            400, upload.failure_reason or gettext("The upload was not accepted.")
        )
    return video


async def _room(settings: Any, owner: Any) -> int:
    """Bytes ``owner`` may upload now: the size limit, or less when the quota is nearly used."""
    config = media_settings(settings)
    limits = [config.max_bytes] if config.max_bytes else []
    if config.upload_quota_bytes:
        used = await uploads.bytes_in_use(owner)
        if used >= config.upload_quota_bytes:
            raise uploads.UploadError(
                413,
                gettext(
                    "Your storage quota is used up (%(used)s of %(quota)s bytes); "
                    "delete videos to make room.",
                    used=used,
                    quota=config.upload_quota_bytes,
                ),
            )
        limits.append(config.upload_quota_bytes - used)
    return min(limits, default=2**62)
