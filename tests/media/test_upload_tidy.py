"""Partial files nobody owns are deleted where they lie, by the cron job and, in the
production shape, by each web process for its own folder."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.tables import Upload
from nichevid.media.tus import jobs
from nichevid.media.tus.services import (
    ORPHAN_SECONDS,
    create_upload,
    part_path,
    remove_orphans,
    tidy_here,
)

OLD = time.time() - ORPHAN_SECONDS - 60


def stray(settings: Any, uid: str, *, old: bool = True) -> Path:
    """A partial file with no upload of that id, written an hour ago (or now)."""
    path = part_path(settings, uid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a video")
    if old:
        os.utime(path, (OLD, OLD))
    return path


async def test_only_files_no_unfinished_upload_owns_are_removed(
    nv_resources: Any, creator: Any
) -> None:
    settings = nv_resources.settings
    live = await create_upload(settings, creator, 100, {})
    live_file = part_path(settings, live.uid)
    os.utime(live_file, (OLD, OLD))  # an upload left idle for an hour is still resumable
    gone = await create_upload(settings, creator, 100, {})
    gone_file = part_path(settings, gone.uid)
    os.utime(gone_file, (OLD, OLD))
    # Deleted on another machine, which could not reach this file.
    await Upload.delete().where(Upload.id == gone.id)
    finished = await create_upload(settings, creator, 100, {})
    await Upload.update({Upload.status: "complete"}).where(Upload.id == finished.id)
    finished_file = part_path(settings, finished.uid)
    os.utime(finished_file, (OLD, OLD))
    orphan = stray(settings, "0" * 32)
    young = stray(settings, "1" * 32, old=False)

    assert await remove_orphans(settings) == 3
    assert live_file.exists()
    assert young.exists(), "a file is made just before its row: a young one is left alone"
    assert not gone_file.exists()
    assert not finished_file.exists()
    assert not orphan.exists()
    assert await remove_orphans(settings) == 0
    assert await tidy_here(nv_resources) == (0, 0)


async def test_an_empty_or_missing_folder_is_fine(nv_resources: Any) -> None:
    assert await remove_orphans(nv_resources.settings) == 0


async def test_the_cron_job_removes_orphans_too(nv_resources: Any) -> None:
    orphan = stray(nv_resources.settings, "2" * 32)
    ctx = {"settings": nv_resources.settings, "resources": nv_resources}
    assert await jobs.expire_uploads(ctx) == 0
    assert not orphan.exists()


async def test_web_processes_tidy_their_own_folder_in_the_production_shape(
    nv_client: Any, nv_resources: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lifespan read TIDY_SECONDS when the app started; a fresh app reads the new one.
    from nichevid.app import create_app
    from nichevid.testing import running

    monkeypatch.setattr(jobs, "TIDY_SECONDS", 0.05)
    orphan = stray(nv_resources.settings, "3" * 32)
    production = nv_resources.settings.uses_redis
    async with running(create_app(nv_resources.settings)):
        for _ in range(100 if production else 10):
            if not orphan.exists():
                break
            await asyncio.sleep(0.05)
    if production:
        assert not orphan.exists()
    else:
        # The embedded shape leaves it to its in-process cron job.
        assert orphan.exists()
