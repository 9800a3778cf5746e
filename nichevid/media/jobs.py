"""The ``media.process`` job: probe, first rendition, poster, ready.

Idempotent: a re-run writes the same keys, replaces the rendition rows and removes
any file of the video it did not write (except the original), so nothing is left
behind. A file that cannot be processed ends ``failed`` with a reason for its
owner and no stored files; a passing failure (ffmpeg crashed, storage hiccup) is
retried with back-off first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nichevid.default_storage import LocalStorage
from nichevid.jobs import Job
from nichevid.media import keys
from nichevid.media.images import pick_frame, store_posters
from nichevid.media.probe import probe
from nichevid.media.services import PROCESS_JOB, file_chunks
from nichevid.media.settings import media_settings
from nichevid.media.tables import Rendition, Video
from nichevid.media.tools import MediaError, ToolError
from nichevid.media.transcode import Plan, make_rendition, plan_for
from nichevid.media.validate import check_file, check_probe
from nichevid.storage import Storage

log = logging.getLogger("nichevid.media")

MAX_TRIES = 3


class _Retry(Exception):
    """A passing failure: let the job runner try again."""


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nichevid-media-") as tmp:
        yield Path(tmp)


async def _local_source(storage: Storage, key: str, workdir: Path) -> Path:
    """A local path of the stored original (copied when storage is not local disk)."""
    if isinstance(storage, LocalStorage):
        return storage.path(key)
    target = workdir / ("source." + key.rsplit(".", 1)[-1])
    with target.open("wb") as fh:
        async for chunk in storage.open(key):
            await asyncio.to_thread(fh.write, chunk)
    return target


async def process_video(ctx: dict[str, Any], video_id: int) -> str:
    """Process one video into its first rendition and poster; returns the outcome."""
    resources = ctx["resources"]
    video = await Video.objects().where(Video.id == video_id).first()
    if video is None or video.status == "removed":
        return "gone"
    try:
        await _process(resources, video)
    except MediaError as exc:
        if isinstance(exc, ToolError) and ctx.get("job_try", 1) < MAX_TRIES:
            raise _Retry(str(exc)) from exc
        await _fail(resources.storage, video, str(exc), retryable=isinstance(exc, ToolError))
        return "failed"
    except Exception as exc:
        if ctx.get("job_try", 1) < MAX_TRIES:
            raise
        log.exception("processing video %s failed for good", video.slug)
        await _fail(resources.storage, video, f"processing failed ({type(exc).__name__})")
        return "failed"
    return "ready"


async def _process(resources: Any, video: Video) -> None:
    settings = media_settings(resources.settings)
    storage: Storage = resources.storage
    with _workdir() as workdir:
        source = await _local_source(storage, video.source_key, workdir)
        check_file(source, settings)
        found = await probe(source, settings)
        check_probe(found, settings)
        plan = plan_for(found, settings)
        output = workdir / "rendition.mp4"
        await make_rendition(source, output, plan, settings)
        frame = await pick_frame(output, found.duration_ms, settings)
        rendition_key = keys.rendition_key(video.slug, plan.label)
        size = await storage.put(rendition_key, file_chunks(output))
        images = await store_posters(storage, video.slug, frame, settings)
    written = {video.source_key, rendition_key}
    written |= {size_keys[ext] for size_keys in images.values() for ext in ("jpg", "webp")}
    stored = await _store_rows(video, plan, found.duration_ms, rendition_key, size, images)
    await _remove_others(storage, video.slug, keep=written if stored else set())
    log.info("video %s ready (%s, %dx%d)", video.slug, plan.method, plan.width, plan.height)


async def _store_rows(
    video: Video, plan: Plan, duration_ms: int, key: str, size: int, images: dict[str, Any]
) -> bool:
    """Replace the renditions and mark the video ready; ``False`` if it was deleted meanwhile."""
    bitrate = int(size * 8 * 1000 / duration_ms) if duration_ms else 0
    async with Video._meta.db.transaction():
        if not await Video.exists().where(Video.id == video.id):
            return False
        await Rendition.delete().where(Rendition.video == video.id)
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
        values: dict[Any, Any] = {
            Video.status: "ready",
            Video.failure_reason: "",
            Video.duration_ms: duration_ms,
            Video.width: plan.width,
            Video.height: plan.height,
            Video.poster_key: images["poster"]["jpg"],
            Video.images: images,
        }
        if video.published_at is None:
            values[Video.published_at] = datetime.now(UTC)
        await Video.update(values).where(Video.id == video.id)
    return True


async def _remove_others(storage: Storage, slug: str, keep: set[str]) -> None:
    async for obj in storage.list(keys.video_prefix(slug)):
        if obj.key not in keep:
            await storage.delete(obj.key)


async def _fail(storage: Storage, video: Video, reason: str, *, retryable: bool = True) -> None:
    """Mark the video failed with ``reason`` and remove its files.

    A file refused for what it is loses its original too; after any other failure the
    original stays so the owner can retry (deleting the video removes it).
    """
    log.warning("video %s failed: %s", video.slug, reason)
    await _remove_others(storage, video.slug, keep={video.source_key} if retryable else set())
    async with Video._meta.db.transaction():
        await Rendition.delete().where(Rendition.video == video.id)
        await Video.update(
            {Video.status: "failed", Video.failure_reason: reason[:500], Video.poster_key: ""}
        ).where(Video.id == video.id)


JOBS = (Job(PROCESS_JOB, process_video, max_tries=MAX_TRIES, timeout=1800.0, backoff=2.0),)
