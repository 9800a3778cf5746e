"""The media jobs, each idempotent, with a deterministic id, a timeout and back-off retries.

``media.process`` probes and checks the original, plans the ladder and queues:
``media.rendition`` once per rung (the remux first when the source allows it, then
the smallest up, so the video is playable as early as possible), ``media.images``
(posters), then ``media.strip`` once the smallest rendition exists, and ``media.hls``
once the ladder is complete (when HLS is on).

A passing failure (ffmpeg crashed, storage hiccup, a killed worker) is retried; a
file refused for what it is ends ``failed`` at once with a reason for its owner.
Each job works in its own folder under ``<data_dir>/work``, emptied when it starts,
so a try killed midway leaves nothing behind once the next try runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nichevid.default_storage import LocalStorage
from nichevid.jobs import Job
from nichevid.media import hls, keys, progress
from nichevid.media.images import make_strip, pick_frame, store_posters, store_strip
from nichevid.media.probe import Probe, probe
from nichevid.media.services import PROCESS_JOB, file_chunks, images_of, ladder_of, renditions_of
from nichevid.media.settings import MediaSettings, media_settings
from nichevid.media.tables import Video
from nichevid.media.tools import MediaError, ToolError
from nichevid.media.transcode import Plan, make_rendition, picture_filters, plan_ladder
from nichevid.media.validate import check_file, check_probe
from nichevid.storage import Storage

log = logging.getLogger("nichevid.media")

RENDITION_JOB = "media.rendition"
IMAGES_JOB = "media.images"
STRIP_JOB = "media.strip"
HLS_JOB = "media.hls"
MAX_TRIES = 3
# Called with (resources, video, reason, retryable) when a job gives up for good.
GiveUp = Callable[[Any, Video, str, bool], Awaitable[None]]


def job_id(name: str, video_id: int, label: str = "") -> str:
    """The deterministic id of one media job of one video."""
    return f"{name}:{video_id}" + (f":{label}" if label else "")


class _Retry(Exception):
    """A passing failure: let the job runner try again."""


def work_root(settings: Any) -> Path:
    """Where media jobs keep their scratch folders."""
    return Path(settings.data_dir) / "work"


@contextlib.asynccontextmanager
async def _workdir(resources: Any, video_id: int, step: str) -> AsyncIterator[Path]:
    path = work_root(resources.settings) / str(video_id) / step
    await asyncio.to_thread(shutil.rmtree, path, True)  # what a killed try left
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()


async def local_copy(storage: Storage, key: str, workdir: Path) -> Path:
    """A local path of a stored file (copied when storage is not local disk)."""
    if isinstance(storage, LocalStorage):
        return storage.path(key)
    target = workdir / key.rsplit("/", 1)[-1]
    with target.open("wb") as fh:
        async for chunk in storage.open(key):
            await asyncio.to_thread(fh.write, chunk)
    return target


async def _guarded(
    ctx: dict[str, Any],
    video_id: int,
    step: Callable[[Any, Video], Awaitable[None]],
    give_up: GiveUp,
) -> str:
    """Run ``step`` on the video; retry passing failures, give up on the others."""
    resources = ctx["resources"]
    video = await Video.objects().where(Video.id == video_id).first()
    if video is None or video.status in progress.STOPPED:
        return "gone"
    last_try = ctx.get("job_try", 1) >= MAX_TRIES
    try:
        await step(resources, video)
    except MediaError as exc:
        if isinstance(exc, ToolError) and not last_try:
            raise _Retry(str(exc)) from exc
        await give_up(resources, video, str(exc), isinstance(exc, ToolError))
        return "failed"
    except Exception as exc:
        if not last_try:
            raise
        log.exception("media job for video %s failed for good", video.slug)
        await give_up(resources, video, f"processing failed ({type(exc).__name__})", True)
        return "failed"
    return "done"


async def _fail_video(resources: Any, video: Video, reason: str, retryable: bool) -> None:
    await progress.fail(resources.storage, video, reason, retryable=retryable)


async def _log_only(resources: Any, video: Video, reason: str, retryable: bool) -> None:
    log.warning("video %s: %s", video.slug, reason)


async def _discard(storage: Storage, written: Iterable[dict[str, Any]]) -> None:
    """Remove images a job wrote for a video that was deleted or failed meanwhile."""
    for item in written:
        for ext in ("jpg", "webp"):
            await storage.delete(item[ext])


# ---------------------------------------------------------------- media.process


async def process_video(ctx: dict[str, Any], video_id: int) -> str:
    """Probe, check and plan a video, then queue the jobs that make its files."""
    return await _guarded(ctx, video_id, _plan, _fail_video)


async def _plan(resources: Any, video: Video) -> None:
    settings = media_settings(resources.settings)
    async with _workdir(resources, video.id, "probe") as workdir:
        source = await local_copy(resources.storage, video.source_key, workdir)
        check_file(source, settings)
        found = await probe(source, settings)
        check_probe(found, settings)
    plans = plan_ladder(found, settings)
    await progress.save_plan(video, found.duration_ms, plans)
    found_json = asdict(found)
    jobs = resources.jobs
    for index, plan in enumerate(plans):
        await jobs.enqueue(
            RENDITION_JOB,
            job_id=job_id(RENDITION_JOB, video.id, plan.label),
            video_id=video.id,
            plan=plan.to_json(),
            found=found_json,
        )
        if index == 0:  # posters right after the first playable rendition
            top = max(plans, key=lambda p: min(p.width, p.height))
            await jobs.enqueue(
                IMAGES_JOB,
                job_id=job_id(IMAGES_JOB, video.id),
                video_id=video.id,
                plan=top.to_json(),
                found=found_json,
            )


# ---------------------------------------------------------------- media.rendition


async def make_one_rendition(
    ctx: dict[str, Any], video_id: int, plan: dict[str, Any], found: dict[str, Any]
) -> str:
    """Make one rendition of the ladder; the first one done makes the video playable."""
    wanted, facts = Plan.from_json(plan), Probe(**found)

    async def step(resources: Any, video: Video) -> None:
        await _rendition(resources, video, wanted, facts)

    async def give_up(resources: Any, video: Video, reason: str, retryable: bool) -> None:
        await progress.drop_rung(resources.storage, video, wanted.label, reason)

    return await _guarded(ctx, video_id, step, give_up)


async def _rendition(resources: Any, video: Video, plan: Plan, found: Probe) -> None:
    settings = media_settings(resources.settings)
    storage: Storage = resources.storage
    key = keys.rendition_key(video.slug, plan.label)
    async with _workdir(resources, video.id, plan.label) as workdir:
        source = await local_copy(storage, video.source_key, workdir)
        output = workdir / f"{plan.label}.mp4"
        await make_rendition(source, output, plan, found, settings)
        size = await storage.put(key, file_chunks(output))
    done = await progress.store_rendition(
        video, plan, key, size, pm=resources.pm, resources=resources
    )
    if done is None:
        await storage.delete(key)
        return
    log.info("video %s: %s ready (%s)", video.slug, plan.label, plan.method)
    ladder = ladder_of(video)
    if settings.preview_frames and ladder and plan.label == ladder[0]:
        await resources.jobs.enqueue(
            STRIP_JOB, job_id=job_id(STRIP_JOB, video.id), video_id=video.id, key=key
        )
    if set(ladder) <= set(done):
        await _ladder_complete(resources, video, settings)


async def _ladder_complete(resources: Any, video: Video, settings: MediaSettings) -> None:
    await progress.sweep(resources.storage, video, keep_hls=settings.hls)
    if settings.hls:
        await resources.jobs.enqueue(HLS_JOB, job_id=job_id(HLS_JOB, video.id), video_id=video.id)


# ---------------------------------------------------------------- media.images


async def make_images(
    ctx: dict[str, Any], video_id: int, plan: dict[str, Any], found: dict[str, Any]
) -> str:
    """The poster, from a representative frame, at full, card and grid sizes."""
    top, facts = Plan.from_json(plan), Probe(**found)

    async def step(resources: Any, video: Video) -> None:
        if images_of(video).get("custom_cover"):
            return
        settings = media_settings(resources.settings)
        async with _workdir(resources, video.id, "images") as workdir:
            source = await local_copy(resources.storage, video.source_key, workdir)
            frame = await pick_frame(
                source, facts.duration_ms, settings, picture_filters(facts, top)
            )
        images = await store_posters(resources.storage, video.slug, frame, settings)
        if not await progress.save_images(video, images):
            await _discard(resources.storage, images.values())

    return await _guarded(ctx, video_id, step, _log_only)


async def make_preview_strip(ctx: dict[str, Any], video_id: int, key: str) -> str:
    """The scrubbing strip, read from the smallest rendition (stored under ``key``)."""

    async def step(resources: Any, video: Video) -> None:
        settings = media_settings(resources.settings)
        async with _workdir(resources, video.id, "strip") as workdir:
            source = await local_copy(resources.storage, key, workdir)
            strip = await make_strip(source, video.duration_ms, settings)
        stored = await store_strip(
            resources.storage, video.slug, strip, settings, video.duration_ms
        )
        if not await progress.save_strip(video, stored):
            await _discard(resources.storage, [stored])

    return await _guarded(ctx, video_id, step, _log_only)


# ---------------------------------------------------------------- media.hls


async def package_hls(ctx: dict[str, Any], video_id: int) -> str:
    """Cut every MP4 rendition into HLS segments and write the master playlist."""
    return await _guarded(ctx, video_id, _hls, _log_only)


async def _hls(resources: Any, video: Video) -> None:
    settings = media_settings(resources.settings)
    storage: Storage = resources.storage
    prefix = keys.hls_prefix(video.slug)
    renditions = [row for row in await renditions_of(video) if row.kind == "mp4"]
    if not renditions:
        return
    async with _workdir(resources, video.id, "hls") as workdir:
        variants = []
        for row in renditions:
            source = await local_copy(storage, row.storage_key, workdir / "in")
            await hls.segment(source, workdir / "out" / row.label, settings)
            variants.append(hls.Variant(row.label, row.width, row.height, row.bitrate))
        (workdir / "out" / hls.MASTER).write_text(hls.master_playlist(variants))
        await storage.delete_prefix(prefix)
        for path in sorted((workdir / "out").rglob("*")):
            if path.is_file():
                name = path.relative_to(workdir / "out").as_posix()
                await storage.put(prefix + name, file_chunks(path))
    top = renditions[-1]
    if not await progress.save_hls(video, prefix + hls.MASTER, top.width, top.height, top.bitrate):
        await storage.delete_prefix(keys.video_prefix(video.slug))


JOBS = (
    Job(PROCESS_JOB, process_video, max_tries=MAX_TRIES, timeout=300.0, backoff=2.0),
    Job(RENDITION_JOB, make_one_rendition, max_tries=MAX_TRIES, timeout=1800.0, backoff=5.0),
    Job(IMAGES_JOB, make_images, max_tries=MAX_TRIES, timeout=300.0, backoff=2.0),
    Job(STRIP_JOB, make_preview_strip, max_tries=MAX_TRIES, timeout=300.0, backoff=2.0),
    Job(HLS_JOB, package_hls, max_tries=MAX_TRIES, timeout=1800.0, backoff=5.0),
)
