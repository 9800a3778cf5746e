"""The JSON document of a video, as the API gives it out.

Every media URL comes from :func:`nichevid.media.services.media_url`, so a video that
is not public and ready gets short-lived signed URLs, and only for its owner.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import msgspec

from nichevid.accounts.services import get_user_by_id
from nichevid.media import keys, services
from nichevid.media.tables import Video

Status = Literal["processing", "scheduled", "ready", "failed", "removed"]
# Held videos wait for review: to their owner they are still being processed.
STATUS_SHOWN: dict[str, Status] = {
    "uploading": "processing",
    "processing": "processing",
    "held": "processing",
    "scheduled": "scheduled",
    "ready": "ready",
    "failed": "failed",
    "removed": "removed",
}
PICTURE_SIZES = ("poster", "card", "grid")


class Picture(msgspec.Struct):
    """One size of the poster, as JPEG and WebP."""

    jpg: str
    webp: str
    width: int
    height: int


class RenditionDocument(msgspec.Struct):
    """One playable MP4 file of a video."""

    label: str
    width: int
    height: int
    bitrate: int
    url: str


class Strip(msgspec.Struct):
    """The scrubbing preview: ``frames`` pictures side by side, ``interval_ms`` apart."""

    jpg: str
    webp: str
    frames: int
    width: int
    height: int
    interval_ms: int


class VideoDocument(msgspec.Struct):
    """A video as the API shows it; ``id`` is its public slug."""

    id: str
    status: Status
    failure_reason: str | None
    can_retry: bool
    caption: str
    hashtags: list[str]
    mentions: list[str]
    visibility: str
    duration: float
    width: int
    height: int
    poster: Picture | None
    card: Picture | None
    grid: Picture | None
    custom_cover: bool
    renditions: list[RenditionDocument]
    # Labels of every rendition planned; ``renditions`` fills in as they are made.
    ladder: list[str]
    strip: Strip | None
    hls: str | None
    created_at: datetime
    published_at: datetime | None
    owner: str
    # When its creator chose to publish it (only its owner is told; ``None``: when ready).
    publish_at: datetime | None = None


def owner_id(video: Video) -> int:
    """The id of the video's owner."""
    owner = video.owner
    return int(owner if isinstance(owner, int) else owner.id)


def is_owner(video: Video, user: Any) -> bool:
    """Whether ``user`` (or ``None``) owns ``video``."""
    return user is not None and int(user.id) == owner_id(video)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):  # Piccolo hands JSON columns back as text
        value = json.loads(value or "[]")
    return [str(item) for item in value or []]


async def video_document(resources: Any, video: Video, viewer: Any) -> VideoDocument:
    """The document of ``video`` for ``viewer``, who must be allowed to see it.

    Raises:
        PermissionError: When ``viewer`` may not watch ``video`` and it has media.
    """

    async def url(key: str) -> str:
        return await services.media_url(resources, video, key, viewer)

    images = services.images_of(video)
    pictures: dict[str, Picture | None] = {}
    for size in PICTURE_SIZES:
        stored = images.get(size)
        pictures[size] = (
            Picture(
                jpg=await url(stored["jpg"]),
                webp=await url(stored["webp"]),
                width=int(stored.get("width") or 0),
                height=int(stored.get("height") or 0),
            )
            if isinstance(stored, dict) and stored.get("jpg")
            else None
        )
    if pictures["poster"] is None and video.poster_key:
        # Videos processed before sized posters existed have the full-size pair only.
        pictures["poster"] = Picture(
            jpg=await url(video.poster_key),
            webp=await url(keys.webp_of(video.poster_key)),
            width=video.width,
            height=video.height,
        )
    made = await services.renditions_of(video)
    renditions = [
        RenditionDocument(r.label, r.width, r.height, r.bitrate, await url(r.storage_key))
        for r in made
        if r.kind == "mp4"
    ]
    hls = next((r.storage_key for r in made if r.kind == "hls"), None)
    strip_value = video.strip
    if isinstance(strip_value, str):  # Piccolo hands JSON columns back as text
        strip_value = json.loads(strip_value or "{}")
    strip = None
    if strip_value:
        strip = Strip(
            jpg=await url(strip_value["jpg"]),
            webp=await url(strip_value["webp"]),
            frames=int(strip_value["frames"]),
            width=int(strip_value["width"]),
            height=int(strip_value["height"]),
            interval_ms=int(strip_value["interval_ms"]),
        )
    owns = is_owner(video, viewer)
    failed = video.status == "failed"
    can_retry = (
        owns
        and failed
        and bool(video.source_key)
        and await resources.storage.exists(video.source_key)
    )
    owner = viewer if owns else await get_user_by_id(owner_id(video))
    return VideoDocument(
        id=video.slug,
        status=STATUS_SHOWN.get(video.status, "processing"),
        failure_reason=(video.failure_reason or "processing failed") if failed else None,
        can_retry=can_retry,
        caption=video.caption,
        hashtags=_texts(video.hashtags),
        mentions=_texts(video.mentions),
        visibility=video.visibility,
        duration=round(video.duration_ms / 1000, 3),
        width=video.width,
        height=video.height,
        poster=pictures["poster"],
        card=pictures["card"],
        grid=pictures["grid"],
        custom_cover=bool(images.get("custom_cover")),
        renditions=renditions,
        ladder=services.ladder_of(video),
        strip=strip,
        hls=await url(hls) if hls else None,
        created_at=video.created_at,
        published_at=video.published_at,
        owner=owner.username if owner is not None else "",
        publish_at=video.publish_at if owns else None,
    )
