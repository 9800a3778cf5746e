"""A process killed in the middle of a transcode: the job runs again, the video ends ready,
and no file of the killed try is left, in storage or in scratch space.

Embedded shape: ``nichevid serve`` (in-process jobs) is killed and started again.
Production shape: ``nichevid worker`` is killed and another worker takes over.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nichevid.db import clear_tables
from nichevid.media import services
from nichevid.media.jobs import RENDITION_JOB, job_id, work_root
from nichevid.plugins import make_plugin_manager
from nichevid.runtime import Resources, close_resources, open_resources
from nichevid.testing.servers import free_port, shared_env, stop_process

from .conftest import _ffmpeg, stored_keys

LEASE = 1.0
Popen = subprocess.Popen[bytes]


@pytest.fixture
def settings(nv_settings_factory: Callable[..., Any]) -> Any:
    return nv_settings_factory(
        jobs={"queue_name": f"nichevid-test:{uuid.uuid4().hex[:8]}", "lease": LEASE},
        # The 360x640 clip gets one rung; slowly, so there is time to kill its encoder.
        media={"preset": "veryslow"},
    )


@pytest.fixture
async def resources(settings: Any, _nv_migrated: bool) -> AsyncIterator[Resources]:
    """Resources that run no jobs themselves: the subprocesses do."""
    opened = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        yield opened
    finally:
        await clear_tables(opened.app_configs)
        if opened.redis is not None:
            await opened.redis.flushdb()
        await close_resources(opened)


@pytest.fixture
async def creator(resources: Resources) -> Any:
    from nichevid.accounts import services as accounts

    return await accounts.create_user(
        resources.settings,
        resources.pm,
        username="maker",
        email="maker@example.com",
        password="correct horse battery",
        role="creator",
    )


@pytest.fixture
def spawn(tmp_path: Path, settings: Any) -> Iterator[Callable[[list[str]], Popen]]:
    started: list[Popen] = []
    env = shared_env(settings, MEDIA__PRESET="veryslow")

    def start(args: list[str]) -> Popen:
        log = (tmp_path / f"process-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-c", "from nichevid.cli import entry; entry()", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process(process)


@pytest.fixture(scope="module")
def slow_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s of 360x640 MPEG-4 Part 2 with noise: seconds of work for x264 at ``veryslow``."""
    path = tmp_path_factory.mktemp("slow") / "noise.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=30:duration=4,noise=alls=40:allf=t",
        "-f", "lavfi", "-i", "sine=frequency=330:duration=4",
        "-c:v", "mpeg4", "-q:v", "4", "-c:a", "aac",
        path.as_posix(),
    )  # fmt: skip
    return path


def runner_args(settings: Any) -> list[str]:
    if settings.redis.url:
        return ["worker"]
    return ["serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(free_port())]


def processes_using(folder: Path) -> list[int]:
    """Ids of processes whose command line names ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(folder) in cmdline:
            found.append(int(proc.name))
    return found


async def wait_for(predicate: Callable[[], Any], limit: float = 90.0) -> None:
    async with asyncio.timeout(limit):
        while not await predicate():
            await asyncio.sleep(0.05)


async def test_a_transcode_killed_midway_is_run_again_and_leaves_nothing(
    resources: Resources,
    settings: Any,
    creator: Any,
    slow_clip: Path,
    spawn: Callable[[list[str]], Popen],
) -> None:
    video = await services.ingest_file(resources, creator, slow_clip, "killed midway")
    scratch = work_root(settings) / str(video.id) / "360p"
    output = scratch / "360p.mp4"
    first = spawn(runner_args(settings))

    async def encoding() -> bool:
        assert first.poll() is None, "the first process stopped on its own"
        return output.exists() and output.stat().st_size > 0

    await wait_for(encoding)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # The encoder dies with the process that started it.
    await wait_for(lambda: asyncio.sleep(0, result=not processes_using(scratch)), limit=10)
    rendition_job = job_id(RENDITION_JOB, video.id, "360p")
    assert await resources.jobs.status(rendition_job) == "running"

    spawn(runner_args(settings))

    async def ready() -> bool:
        row = await services.get_video(video_id=video.id)
        assert row is not None
        assert row.status != "failed", row.failure_reason
        return bool(row.status == "ready" and row.poster_key and row.strip not in ("{}", {}))

    await wait_for(ready)
    await wait_for(lambda: _status_is(resources, rendition_job, "done"))
    info = await resources.jobs.info(rendition_job)
    assert info is not None
    assert info.tries == 2
    rows = await services.renditions_of(video.id)
    assert [(r.kind, r.label, r.width, r.height) for r in rows] == [("mp4", "360p", 360, 640)]
    slug = video.slug
    assert await stored_keys(resources, f"videos/{slug}/") == sorted(
        [
            f"videos/{slug}/original.mp4",
            f"videos/{slug}/360p.mp4",
            *(f"videos/{slug}/poster{size}.{ext}" for size in ("", "-card", "-grid")
              for ext in ("jpg", "webp")),
            f"videos/{slug}/strip.jpg",
            f"videos/{slug}/strip.webp",
        ]
    )  # fmt: skip
    media_root = Path(settings.data_dir) / "media"
    assert [p for p in media_root.rglob("*") if p.name.endswith(".part")] == []
    assert not scratch.exists()


async def _status_is(resources: Resources, job: str, status: str) -> bool:
    return bool(await resources.jobs.status(job) == status)
