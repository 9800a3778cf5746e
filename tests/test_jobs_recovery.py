"""A restart never strands work, and a live process never loses the job it runs.

The in-process runner is tested on the session's database in both shapes (it only
needs the ``nv_job`` table); the killed-process tests use real subprocesses:
``nichevid serve`` on the SQLite file, ``nichevid worker`` on Redis.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import nv_test_jobs
import pytest
from nv_test_jobs import lines

from nichevid.core.tables import JobRow
from nichevid.db import clear_tables
from nichevid.jobs import JobRegistry, LocalJobQueue
from nichevid.jobs.base import now
from nichevid.plugins import make_plugin_manager
from nichevid.runtime import Resources, close_resources, open_resources
from nichevid.testing.servers import free_port, shared_env, stop_process

TESTS_DIR = Path(__file__).parent
LEASE = 0.6


@pytest.fixture
def queue_name() -> str:
    return f"nichevid-test:{uuid.uuid4().hex[:8]}"


@pytest.fixture
def settings(nv_settings_factory: Callable[..., Any], queue_name: str) -> Any:
    return nv_settings_factory(jobs={"queue_name": queue_name, "lease": LEASE})


@pytest.fixture
async def resources(settings: Any, _nv_migrated: bool) -> AsyncIterator[Resources]:
    """Resources with the test jobs and no runner of their own."""
    pm = make_plugin_manager(settings, extra_plugins=[nv_test_jobs.plugin])
    opened = await open_resources(settings, pm, start_jobs=False)
    try:
        yield opened
    finally:
        await clear_tables(opened.app_configs)
        if opened.redis is not None:
            await opened.redis.flushdb()
        await close_resources(opened)


@pytest.fixture
def out(tmp_path: Path) -> str:
    return str(tmp_path / "out.txt")


def local_queue(resources: Resources) -> LocalJobQueue:
    return LocalJobQueue(JobRegistry.from_plugins(resources.pm), poll_interval=0.05, lease=LEASE)


async def wait_for(predicate: Callable[[], Any], limit: float = 30.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():
            await asyncio.sleep(0.05)


async def wait_for_status(queue: Any, job_id: str, status: str, limit: float = 30.0) -> None:
    async with asyncio.timeout(limit):
        while await queue.status(job_id) != status:
            await asyncio.sleep(0.05)


async def insert_running(job_id: str, out: str, *, tries: int, lease_left: float) -> None:
    """A row as a process leaves it while running a job (alive or dead, by its lease)."""
    await JobRow.insert(
        JobRow(
            job_id=job_id,
            name="record",
            kwargs={"path": out, "text": "r"},
            status="running",
            tries=tries,
            max_tries=2,
            worker="elsewhere:1:abc",
            locked_until=now() + timedelta(seconds=lease_left),
        )
    ).run()


# ---------------------------------------------------------------- in-process, simulated


async def test_start_runs_the_jobs_a_dead_process_was_running(
    resources: Resources, out: str
) -> None:
    await insert_running("orphan", out, tries=1, lease_left=-5)
    queue = local_queue(resources)
    await queue.start(resources.job_context())
    try:
        await wait_for_status(queue, "orphan", "done")
    finally:
        await queue.close()
    assert lines(out) == ["r try=2"]


async def test_a_job_whose_process_died_on_its_last_try_fails(
    resources: Resources, out: str
) -> None:
    await insert_running("last-try", out, tries=2, lease_left=-5)
    queue = local_queue(resources)
    await queue.start(resources.job_context())
    await queue.close()
    info = await queue.info("last-try")
    assert info is not None
    assert info.status == "failed"
    assert "stopped" in info.error
    assert lines(out) == []


async def test_a_job_under_a_live_lease_is_not_taken(resources: Resources, out: str) -> None:
    """Another process starting on the same database leaves a running job alone."""
    await insert_running("busy", out, tries=1, lease_left=60)
    queue = local_queue(resources)
    await queue.start(resources.job_context())
    try:
        await asyncio.sleep(LEASE * 2)
        row = await JobRow.select().where(JobRow.job_id == "busy").first().run()
        assert (row["status"], row["worker"]) == ("running", "elsewhere:1:abc")
        # The other process dies: its lease runs out and this one takes the job over.
        await (
            JobRow.update({JobRow.locked_until: now() - timedelta(seconds=1)})
            .where(JobRow.job_id == "busy")
            .run()
        )
        await wait_for_status(queue, "busy", "done")
    finally:
        await queue.close()
    assert lines(out) == ["r try=2"]


async def test_a_job_longer_than_the_lease_keeps_it(resources: Resources, out: str) -> None:
    """Renewals keep a long job with its process, though two processes watch the table."""
    first, second = local_queue(resources), local_queue(resources)
    await first.start(resources.job_context())
    await first.enqueue("nap", job_id="nap", path=out, seconds=LEASE * 3)
    await wait_for(lambda: len(lines(out)) == 1)
    await second.start(resources.job_context())
    try:
        await wait_for_status(first, "nap", "done")
    finally:
        await first.close()
        await second.close()
    assert [line.split(" pid=")[0] for line in lines(out)] == ["start try=1", "done try=1"]


async def test_a_clean_shutdown_queues_running_jobs_again(resources: Resources, out: str) -> None:
    queue = local_queue(resources)
    await queue.start(resources.job_context())
    await queue.enqueue("crash_once", job_id="cut", path=out)
    await wait_for(lambda: len(lines(out)) == 1)
    await queue.close()
    info = await queue.info("cut")
    assert info is not None
    # Queued at once, and the try that was cut short does not count.
    assert (info.status, info.tries) == ("queued", 0)


# ---------------------------------------------------------------- killed processes


def subprocess_env(settings: Any) -> dict[str, str]:
    env = shared_env(
        settings,
        EXTRA_PLUGINS="nv_test_jobs:plugin",
        JOBS__LEASE=str(LEASE * 2),
        JOBS__POLL_INTERVAL="0.1",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    return env


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``nichevid ARGS`` subprocesses; those still running are stopped by pid."""
    started: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
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


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def pids_of(out: str, word: str) -> list[int]:
    return [int(line.split("pid=")[1]) for line in lines(out) if line.startswith(word)]


@pytest.mark.sqlite_only
async def test_a_job_of_a_killed_server_runs_after_the_next_start(
    resources: Resources, settings: Any, out: str, spawn: Callable[..., Any]
) -> None:
    env = subprocess_env(settings)
    serve = ["serve", "--no-migrate", "--host", "127.0.0.1"]
    first = spawn([*serve, "--port", str(free_port())], env)
    await resources.jobs.enqueue("crash_once", job_id="crash", path=out)
    await wait_for(lambda: pids_of(out, "start") or first.poll() is not None)
    assert pids_of(out, "start") == [first.pid]
    kill(first)
    assert await resources.jobs.status("crash") == "running"

    second = spawn([*serve, "--port", str(free_port())], env)
    await wait_for_status(resources.jobs, "crash", "done")
    assert pids_of(out, "start") == [first.pid, second.pid]
    assert pids_of(out, "done") == [second.pid]


@pytest.mark.postgres_only
async def test_a_job_of_a_killed_worker_is_run_by_another(
    resources: Resources, settings: Any, out: str, spawn: Callable[..., Any]
) -> None:
    env = subprocess_env(settings)
    first = spawn(["worker"], env)
    await resources.jobs.enqueue("crash_once", job_id="crash", path=out)
    await wait_for(lambda: pids_of(out, "start") or first.poll() is not None)
    assert pids_of(out, "start") == [first.pid]
    kill(first)
    assert await resources.jobs.status("crash") == "running"

    second = spawn(["worker"], env)
    await wait_for_status(resources.jobs, "crash", "done")
    assert pids_of(out, "start") == [first.pid, second.pid]
    assert pids_of(out, "done") == [second.pid]
    info = await resources.jobs.info("crash")
    assert info is not None
    assert info.tries == 2
    # The surviving worker stops cleanly on SIGTERM.
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=20) == 0
