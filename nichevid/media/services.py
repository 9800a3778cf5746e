"""Video services: plain async functions other packages and commands call.

Rows are read and written here and in :mod:`nichevid.media.jobs` only; callers get
rows or plain data back.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from nichevid.accounts.tables import User
from nichevid.core.secrets import instance_secret
from nichevid.i18n import gettext
from nichevid.media import gates, keys
from nichevid.media.settings import media_settings
from nichevid.media.signing import signed_query
from nichevid.media.tables import VISIBILITIES, Rendition, Video
from nichevid.plugins import call_first
from nichevid.storage import CHUNK_SIZE

PROCESS_JOB = "media.process"
CAPTION_MAX = 2200
HASHTAGS_MAX = 30
MENTIONS_MAX = 20
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,64})")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,32})(?!\w)")


def process_job_id(video_id: int) -> str:
    """The deterministic id of the processing job of one video."""
    return f"{PROCESS_JOB}:{video_id}"


def parse_hashtags(caption: str, extra: list[str] | None = None) -> list[str]:
    """Hashtags of a caption plus ``extra``, lower-cased, without ``#``, first use first."""
    found = [tag.lower() for tag in _HASHTAG.findall(caption)]
    found += [tag.lower().lstrip("#") for tag in extra or [] if tag.strip("#")]
    return list(dict.fromkeys(found))[:HASHTAGS_MAX]


def parse_mentions(caption: str) -> list[str]:
    """Usernames a caption mentions (``@name``), lower-cased, first use first."""
    found = [name.lower() for name in _MENTION.findall(caption)]
    return list(dict.fromkeys(found))[:MENTIONS_MAX]


async def known_mentions(caption: str) -> list[str]:
    """The mentions of ``caption`` that name an existing user, in caption order."""
    names = parse_mentions(caption)
    if not names:
        return []
    rows = await User.select(User.username).where(User.username.is_in(names))
    existing = {row["username"] for row in rows}
    return [name for name in names if name in existing]


def check_caption(caption: str) -> str:
    """The caption stripped; raise :class:`ValueError` when too long."""
    caption = caption.strip()
    if len(caption) > CAPTION_MAX:
        raise ValueError(
            gettext("Captions are at most %(max)s characters; shorten it.", max=CAPTION_MAX)
        )
    return caption


def check_visibility(visibility: str) -> str:
    """``visibility`` if known; raise :class:`ValueError` naming the choices otherwise."""
    if visibility not in VISIBILITIES:
        raise ValueError(
            gettext("Visibility must be one of: %(choices)s.", choices=", ".join(VISIBILITIES))
        )
    return visibility


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """Stream a local file without holding it in memory."""
    with path.open("rb") as fh:
        while chunk := await asyncio.to_thread(fh.read, CHUNK_SIZE):
            yield chunk


async def _new_slug() -> str:
    for _ in range(10):
        slug = secrets.token_urlsafe(8)
        if not await Video.exists().where(Video.slug == slug):
            return slug
    raise RuntimeError("could not find a free video slug")


def _owner_id(owner: Any) -> int:
    return int(owner if isinstance(owner, int) else owner.id)


async def ingest_file(
    resources: Any,
    owner: Any,
    path: Path,
    caption: str = "",
    visibility: str = "public",
    *,
    hashtags: list[str] | None = None,
    publish_at: datetime | None = None,
) -> Video:
    """Store a local video file as a new video of ``owner`` and queue its processing.

    Args:
        resources: The running :class:`nichevid.runtime.Resources`.
        owner: The owning user (row or id).
        path: A local file; it is copied into storage, the caller keeps it.
        caption: The caption; its ``#hashtags`` are collected.
        visibility: One of :data:`nichevid.media.tables.VISIBILITIES`.
        hashtags: Hashtags to add to those found in the caption.
        publish_at: When to publish it once processed (``None``: as soon as it is ready).

    Returns:
        The new row, status ``processing``.

    Raises:
        ValueError: For an unknown visibility or an over-long caption.
    """
    check_visibility(visibility)
    caption = check_caption(caption)
    video = Video(
        slug=await _new_slug(),
        owner=_owner_id(owner),
        caption=caption,
        hashtags=parse_hashtags(caption, hashtags),
        mentions=await known_mentions(caption),
        visibility=visibility,
        status="uploading",
        publish_at=publish_at,
    )
    await video.save()
    key = keys.source_key(video.slug, path.suffix)
    try:
        size = await resources.storage.put(key, file_chunks(path))
    except BaseException:
        await resources.storage.delete_prefix(keys.video_prefix(video.slug))
        await Video.delete().where(Video.id == video.id)
        raise
    video.source_key, video.size_bytes, video.status = key, size, "processing"
    await video.save([Video.source_key, Video.size_bytes, Video.status])
    await enqueue_processing(resources, video.id)
    return video


async def enqueue_processing(resources: Any, video_id: int) -> bool:
    """Queue (again) the processing of a video; a no-op while that job is pending."""
    return bool(
        await resources.jobs.enqueue(
            PROCESS_JOB, job_id=process_job_id(video_id), video_id=video_id
        )
    )


async def update_video(
    video: Video, *, caption: str | None = None, visibility: str | None = None
) -> Video:
    """Change a video's caption (hashtags and mentions follow it) and/or visibility.

    Raises:
        ValueError: For an unknown visibility or an over-long caption; nothing is changed.
    """
    values: dict[Any, Any] = {}
    if visibility is not None:
        values[Video.visibility] = check_visibility(visibility)
    if caption is not None:
        caption = check_caption(caption)
        values[Video.caption] = caption
        values[Video.hashtags] = parse_hashtags(caption)
        values[Video.mentions] = await known_mentions(caption)
    if values:
        await Video.update(values).where(Video.id == video.id)
    updated = await get_video(video_id=video.id)
    if updated is None:
        raise LookupError("the video was deleted meanwhile")
    return updated


async def retry_video(resources: Any, video: Video) -> bool:
    """Process a ``failed`` video again from its kept original.

    Returns:
        Whether processing was queued (``False`` unless the video failed and its
        original is still stored).
    """
    if video.status != "failed" or not video.source_key:
        return False
    if not await resources.storage.exists(video.source_key):
        return False
    await Video.update({Video.status: "processing", Video.failure_reason: ""}).where(
        (Video.id == video.id) & (Video.status == "failed")
    )
    await enqueue_processing(resources, video.id)
    return True


def images_of(video: Video) -> dict[str, Any]:
    """The video's stored images (see :func:`nichevid.media.images.store_posters`)."""
    value = video.images
    if isinstance(value, str):  # Piccolo hands JSON columns back as text
        value = json.loads(value or "{}")
    return dict(value or {})


def ladder_of(video: Video) -> list[str]:
    """Labels of the renditions planned for the video, smallest first."""
    value = video.ladder
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(label) for label in value or []]


async def renditions_of(video: Video | int) -> list[Rendition]:
    """The video's renditions made so far, smallest first (MP4 files, then HLS)."""
    video_id = video if isinstance(video, int) else video.id
    rows = await Rendition.objects().where(Rendition.video == video_id)
    return sorted(rows, key=lambda row: (row.kind != "mp4", min(row.width, row.height)))


async def get_video(*, slug: str | None = None, video_id: int | None = None) -> Video | None:
    """A video by public slug or by id, or ``None``."""
    query = Video.objects()
    if slug is not None:
        query = query.where(Video.slug == slug)
    elif video_id is not None:
        query = query.where(Video.id == video_id)
    else:
        raise ValueError("give slug or video_id")
    return await query.first()


async def videos_of(owner: Any) -> list[Video]:
    """Every video of ``owner`` (row or id), newest first."""
    return await (
        Video.objects().where(Video.owner == _owner_id(owner)).order_by(Video.id, ascending=False)
    )


async def delete_video(resources: Any, video: Video | int) -> bool:
    """Delete a video: every stored file, its renditions and its row.

    Returns:
        Whether the video existed.
    """
    row = await get_video(video_id=video if isinstance(video, int) else video.id)
    if row is None:
        return False
    await resources.storage.delete_prefix(keys.video_prefix(row.slug))
    await Video.delete().where(Video.id == row.id)
    return True


def is_open(video: Video) -> bool:
    """Whether anyone may fetch the video's media with a plain, cacheable URL."""
    return video.visibility == "public" and video.status == "ready" and not video.age_restricted


async def may_view(resources: Any, video: Video, viewer: Any) -> bool:
    """Whether ``viewer`` (a user row, or ``None`` when signed out) may watch ``video``.

    Open videos (:func:`is_open`) are open to all and every video to its owner. Private
    videos, and videos that are not ready, are the owner's alone. Age-restricted videos
    are for adults only (:mod:`nichevid.media.gates`). For ``followers`` and
    ``subscribers`` videos the plugins decide through the ``may_view_video`` hook (the
    social package lets followers in); without an answer the viewer is refused, so
    ``subscribers`` videos stay the owner's until a subscriptions plugin answers.
    """
    if is_open(video):
        return True
    if viewer is not None and _owner_id(viewer) == _owner_id(video.owner):
        return True
    if video.status != "ready" or video.visibility == "private":
        return False
    if video.age_restricted and not await gates.is_adult(resources, viewer):
        return False
    if video.visibility == "public":
        return True
    answer = await call_first(resources.pm.hook.may_view_video, video=video, viewer=viewer)
    return answer is True


async def media_url(resources: Any, video: Video, key: str, viewer: Any) -> str:
    """The URL ``viewer`` fetches one of ``video``'s files from.

    Open videos get the storage's plain, cacheable URL; any other video a URL signed
    for ``media.signed_url_ttl`` seconds.

    Raises:
        PermissionError: When ``viewer`` may not watch ``video``.
    """
    if is_open(video):
        return str(await resources.storage.url(key))
    if not await may_view(resources, video, viewer):
        raise PermissionError("this video is not visible to you")
    return await signed_url(resources, key)


async def signed_url(resources: Any, key: str) -> str:
    """A URL of one stored file signed for ``media.signed_url_ttl`` seconds.

    Only for a viewer already admitted (``may_view``, or ``gates.viewable_ids`` for a
    page of videos): this function checks nothing.
    """
    ttl = media_settings(resources.settings).signed_url_ttl
    url = str(await resources.storage.url(key, expires_in=ttl))
    if resources.storage.signed_by_media_route:
        # Served by the media route, which checks this signature (local disk).
        url += "?" + signed_query(instance_secret(resources.settings), key, ttl)
    return url
