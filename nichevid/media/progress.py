"""The rows of a video as its jobs move it along: planned, each rendition, ready, failed.

Each change is one transaction that first re-reads the video, so a job that finishes
after its video was deleted, failed or processed again changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from nichevid.db import writing
from nichevid.media import keys
from nichevid.media.schedule import is_pending
from nichevid.media.services import images_of, ladder_of
from nichevid.media.tables import Rendition, Video
from nichevid.media.transcode import Plan
from nichevid.plugins import gate, notify
from nichevid.storage import Storage

log = logging.getLogger("nichevid.media")

# Jobs stop working on videos in these states.
STOPPED = ("removed", "failed")


def _db() -> Any:
    return Video._meta.db


def _for_update(query: Any) -> Any:
    return query if isinstance(_db(), SQLiteEngine) else query.lock_rows()


async def _active(video: Video) -> bool:
    return bool(
        await Video.exists().where((Video.id == video.id) & Video.status.not_in(list(STOPPED)))
    )


async def save_plan(video: Video, duration_ms: int, plans: list[Plan]) -> None:
    """Record the planned ladder and the size videos are shown at (the largest rung's)."""
    top = max(plans, key=lambda plan: min(plan.width, plan.height))
    labels = [plan.label for plan in sorted(plans, key=lambda plan: min(plan.width, plan.height))]
    await Video.update(
        {
            Video.ladder: labels,
            Video.duration_ms: duration_ms,
            Video.width: top.width,
            Video.height: top.height,
        }
    ).where(Video.id == video.id)


async def store_rendition(
    video: Video, plan: Plan, key: str, size: int, *, pm: Any = None, resources: Any = None
) -> list[str] | None:
    """Record one finished rendition; the first makes the video ``ready``, ``held`` when
    a plugin's ``review_video`` gate holds it, or ``scheduled`` when its creator chose a
    later publishing time (:mod:`nichevid.media.schedule`).

    When that happens and ``pm`` (the plugin manager) is given, the ``review_video``
    gate is asked first (with ``resources``) and the ``video_ready`` event fires after
    the change is committed.

    Returns:
        The labels of every MP4 rendition the video has now, or ``None`` when the video
        was deleted or failed meanwhile (the caller then removes the file).
    """
    duration_ms = video.duration_ms
    bitrate = int(size * 8 * 1000 / duration_ms) if duration_ms else 0
    # Asked before the write lock is taken: a plugin's gate may read the database.
    publish_as = await _review(video, pm, resources)
    async with writing(Video):
        row = await _for_update(
            Video.select(Video.status, Video.published_at, Video.publish_at).where(
                Video.id == video.id
            )
        )
        if not row or row[0]["status"] in STOPPED:
            return None
        await Rendition.delete().where(
            (Rendition.video == video.id)
            & (Rendition.kind == "mp4")
            & (Rendition.label == plan.label)
        )
        await Rendition.insert(
            Rendition(
                video=video.id,
                kind="mp4",
                label=plan.label,
                width=plan.width,
                height=plan.height,
                bitrate=bitrate,
                storage_key=key,
                size_bytes=size,
            )
        )
        if publish_as == "ready" and is_pending(row[0]["publish_at"]):
            publish_as = "scheduled"
        values: dict[Any, Any] = {}
        if row[0]["status"] in ("uploading", "processing"):
            values[Video.status] = publish_as
            values[Video.failure_reason] = ""
        # A held video is published when a reviewer releases it, not by its renditions.
        published = publish_as == "ready" and row[0]["status"] != "held"
        if row[0]["published_at"] is None and published:
            values[Video.published_at] = datetime.now(UTC)
        if values:
            await Video.update(values).where(Video.id == video.id)
        labels = await Rendition.select(Rendition.label).where(
            (Rendition.video == video.id) & (Rendition.kind == "mp4")
        )
    if pm is not None and row[0]["status"] in ("uploading", "processing") and publish_as == "ready":
        await notify(pm, "video_ready", video=await Video.objects().get(Video.id == video.id))
    return [label["label"] for label in labels]


async def _review(video: Video, pm: Any, resources: Any) -> str:
    """``ready``, or ``held`` when a plugin's ``review_video`` gate holds the video."""
    if pm is None:
        return "ready"
    fresh = await Video.objects().where(Video.id == video.id).first()
    if fresh is None or fresh.status not in ("uploading", "processing"):
        return "ready"  # not the first rendition: the status is not changed anyway
    reason = await gate(pm.hook.review_video, video=fresh, resources=resources)
    if reason:
        log.info("video %s held for review: %s", video.slug, reason)
        return "held"
    return "ready"


async def drop_rung(storage: Storage, video: Video, label: str, reason: str) -> None:
    """Give up one rendition; the video fails only when no rendition is left to make."""
    async with writing(Video):
        fresh = await _for_update(Video.objects().where(Video.id == video.id)).first()
        if fresh is None or fresh.status in STOPPED:
            return
        ladder = [name for name in ladder_of(fresh) if name != label]
        await Video.update({Video.ladder: ladder}).where(Video.id == video.id)
    log.warning("video %s: rendition %s given up: %s", video.slug, label, reason)
    if not ladder:
        await fail(storage, video, reason)


async def save_images(video: Video, images: dict[str, Any]) -> bool:
    """Record the posters; ``False`` when the video is gone (the caller removes the files)."""
    async with writing(Video):
        fresh = await _for_update(Video.objects().where(Video.id == video.id)).first()
        if fresh is None or fresh.status in STOPPED:
            return False
        merged = {**images_of(fresh), **images}
        await Video.update({Video.images: merged, Video.poster_key: merged["poster"]["jpg"]}).where(
            Video.id == video.id
        )
    return True


async def save_strip(video: Video, strip: dict[str, Any]) -> bool:
    """Record the preview strip; ``False`` when the video is gone."""
    async with writing(Video):
        if not await _active(video):
            return False
        await Video.update({Video.strip: strip}).where(Video.id == video.id)
    return True


async def save_hls(video: Video, key: str, width: int, height: int, bandwidth: int) -> bool:
    """Record the HLS master playlist as the video's ``hls`` rendition."""
    async with writing(Video):
        if not await _active(video):
            return False
        await Rendition.delete().where((Rendition.video == video.id) & (Rendition.kind == "hls"))
        await Rendition.insert(
            Rendition(
                video=video.id,
                kind="hls",
                label="master",
                width=width,
                height=height,
                bitrate=bandwidth,
                storage_key=key,
            )
        )
    return True


async def sweep(storage: Storage, video: Video, *, keep_hls: bool) -> None:
    """Remove renditions of the video that its ladder no longer plans (an earlier ladder
    setting, a rung given up), and its HLS files when HLS is off."""
    ladder = set(ladder_of(video))
    stale = await Rendition.select(Rendition.id, Rendition.storage_key).where(
        (Rendition.video == video.id)
        & (Rendition.kind == "mp4")
        & Rendition.label.not_in(list(ladder) or [""])
    )
    for row in stale:
        await storage.delete(row["storage_key"])
        await Rendition.delete().where(Rendition.id == row["id"])
    prefix = keys.video_prefix(video.slug)
    async for obj in storage.list(prefix):
        name = obj.key[len(prefix) :]
        stale_file = name.endswith(".mp4") and name[: -len(".mp4")] not in ladder
        if stale_file and "/" not in name and obj.key != video.source_key:
            await storage.delete(obj.key)
    if not keep_hls:
        await storage.delete_prefix(keys.hls_prefix(video.slug))
        await Rendition.delete().where((Rendition.video == video.id) & (Rendition.kind == "hls"))


async def fail(storage: Storage, video: Video, reason: str, *, retryable: bool = True) -> None:
    """Mark the video failed with ``reason`` and remove its files.

    A file refused for what it is loses its original too; after any other failure the
    original stays so the owner can retry (deleting the video removes it).
    """
    log.warning("video %s failed: %s", video.slug, reason)
    async with writing(Video):
        await Rendition.delete().where(Rendition.video == video.id)
        await Video.update(
            {
                Video.status: "failed",
                Video.failure_reason: reason[:500],
                Video.poster_key: "",
                Video.images: {},
                Video.strip: {},
            }
        ).where((Video.id == video.id) & (Video.status != "removed"))
    keep = {video.source_key} if retryable else set()
    async for obj in storage.list(keys.video_prefix(video.slug)):
        if obj.key not in keep:
            await storage.delete(obj.key)
