"""Job semantics, the same in both shapes: unique ids, retries, timeouts, cron, ctx."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import nv_test_jobs
import pytest
from nv_test_jobs import lines

from nichevid.jobs import (
    ArqJobQueue,
    CronJob,
    Job,
    JobError,
    JobRegistry,
    LocalJobQueue,
    make_worker,
)
from nichevid.testing import clear_instance


@pytest.fixture
def nv_plugins() -> list[Any]:
    return [nv_test_jobs.plugin]


@pytest.fixture
def out(tmp_path: Path) -> str:
    return str(tmp_path / "out.txt")


async def test_a_job_gets_the_documented_ctx(nv_resources: Any, nv_run_jobs: Any, out: str) -> None:
    assert await nv_resources.jobs.enqueue("probe_ctx", job_id="probe-1", path=out)
    await nv_run_jobs()
    facts = json.loads(lines(out)[0])
    assert {"settings", "pm", "storage", "jobs", "job_id", "job_try"} <= set(facts["keys"])
    assert facts["job_id"] == "probe-1"
    assert facts["job_try"] == 1
    assert facts["has_hook"]
    assert facts["queue"] == type(nv_resources.jobs).__name__
    assert await nv_resources.jobs.status("probe-1") == "done"


async def test_a_job_id_that_is_queued_is_not_queued_twice(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    jobs = nv_resources.jobs
    # Deferred a little, so that it is surely still queued when enqueued again.
    assert await jobs.enqueue("record", job_id="once", defer_by=0.3, path=out, text="a")
    assert not await jobs.enqueue("record", job_id="once", path=out, text="b")
    assert await jobs.status("once") == "queued"
    await nv_run_jobs()
    assert lines(out) == ["a try=1"]
    # Once finished, the same id may run again.
    assert await jobs.enqueue("record", job_id="once", path=out, text="c")
    await nv_run_jobs()
    assert lines(out) == ["a try=1", "c try=1"]


async def test_jobs_without_an_id_get_distinct_ones(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    assert await nv_resources.jobs.enqueue("record", path=out, text="x")
    assert await nv_resources.jobs.enqueue("record", path=out, text="x")
    await nv_run_jobs()
    assert lines(out) == ["x try=1", "x try=1"]


async def test_a_failing_job_is_retried_until_it_succeeds(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    await nv_resources.jobs.enqueue("flaky", job_id="flaky-1", path=out, fail_times=2)
    await nv_run_jobs()
    assert lines(out) == ["try=1", "try=2", "try=3"]
    info = await nv_resources.jobs.info("flaky-1")
    assert info.status == "done"
    assert info.tries == 3


async def test_a_job_failing_every_try_ends_failed_with_its_error(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    jobs = nv_resources.jobs
    await jobs.enqueue("always_fails", job_id="doomed", path=out)
    await nv_run_jobs()
    assert lines(out) == ["try=1", "try=2"]
    info = await jobs.info("doomed")
    assert info.status == "failed"
    assert info.tries == 2
    assert info.error == "ValueError: boom"
    assert [f.job_id for f in await jobs.failed()] == ["doomed"]
    assert (await jobs.counts())["failed"] == 1
    # A failed job can be retried, with a fresh set of tries.
    assert await jobs.retry("doomed")
    assert not await jobs.retry("doomed")
    await nv_run_jobs()
    assert lines(out) == ["try=1", "try=2", "try=1", "try=2"]
    assert await jobs.status("doomed") == "failed"


async def test_retry_refuses_a_job_that_did_not_fail(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    await nv_resources.jobs.enqueue("record", job_id="fine", path=out, text="t")
    await nv_run_jobs()
    assert not await nv_resources.jobs.retry("fine")
    assert not await nv_resources.jobs.retry("no-such-job")


async def test_a_try_over_its_timeout_fails_and_is_retried(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    await nv_resources.jobs.enqueue("slow", job_id="slow-1", path=out, slow_tries=1)
    await nv_run_jobs()
    assert lines(out) == ["start try=1", "start try=2", "done try=2"]
    assert await nv_resources.jobs.status("slow-1") == "done"


async def test_a_job_timing_out_every_try_fails_with_a_timeout_error(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    await nv_resources.jobs.enqueue("slow", job_id="slow-2", path=out, slow_tries=5)
    await nv_run_jobs()
    assert lines(out) == ["start try=1", "start try=2"]
    info = await nv_resources.jobs.info("slow-2")
    assert info.status == "failed"
    assert info.error.startswith("JobTimeout: ")
    assert "0.5s" in info.error


async def test_a_job_can_enqueue_follow_up_work(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    await nv_resources.jobs.enqueue("record", path=out, text="first", then="second")
    await nv_run_jobs()
    assert lines(out) == ["first try=1", "second try=1"]


async def test_a_deferred_job_waits(nv_resources: Any, nv_run_jobs: Any, out: str) -> None:
    await nv_resources.jobs.enqueue("record", job_id="later", defer_by=0.3, path=out, text="l")
    assert await nv_resources.jobs.status("later") == "queued"
    assert lines(out) == []
    await nv_run_jobs()
    assert lines(out) == ["l try=1"]


async def test_unknown_jobs_and_non_json_arguments_are_refused(nv_resources: Any) -> None:
    with pytest.raises(JobError, match="no job named 'nope'"):
        await nv_resources.jobs.enqueue("nope")
    with pytest.raises(JobError, match="JSON"):
        await nv_resources.jobs.enqueue("record", path=object(), text="x")
    assert await nv_resources.jobs.status("never-queued") is None
    assert await nv_resources.jobs.info("never-queued") is None


async def test_the_queue_is_checked_by_readiness(nv_client: Any) -> None:
    response = await nv_client.get("/readyz")
    assert response.json()["checks"]["jobs"]["ok"] is True


def test_job_and_cron_names_must_be_unique() -> None:
    async def noop(ctx: dict[str, Any]) -> None:
        return None

    with pytest.raises(JobError, match="two jobs"):
        JobRegistry([Job("a", noop), Job("a", noop)], [])
    with pytest.raises(JobError, match="two cron jobs"):
        JobRegistry([], [CronJob("c", noop), CronJob("c", noop)])
    with pytest.raises(JobError, match="max_tries"):
        JobRegistry([Job("b", noop, max_tries=0)], [])


def test_back_off_doubles() -> None:
    async def noop(ctx: dict[str, Any]) -> None:
        return None

    job = Job("a", noop, backoff=2.0)
    assert [job.retry_delay(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]


# ---------------------------------------------------------------- cron


async def _wait_for(predicate: Any, limit: float = 15.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():
            await asyncio.sleep(0.05)


@pytest.mark.sqlite_only
async def test_cron_runs_once_per_time_across_processes(
    nv_resources: Any, nv_settings: Any
) -> None:
    """Two runners on one database (``serve --workers 2``) run each scheduled time once."""
    registry = JobRegistry([], [CronJob("tick", nv_test_jobs.tick, second=None, timeout=5)])
    ticks = Path(nv_settings.data_dir) / "ticks"
    runners = [LocalJobQueue(registry, poll_interval=0.05, lease=5) for _ in range(2)]
    for runner in runners:
        await runner.start(nv_resources.job_context())
    try:
        await _wait_for(lambda: len(lines(ticks)) >= 3)
    finally:
        for runner in runners:
            await runner.close()
    seen = lines(ticks)
    assert len(seen) == len(set(seen)), seen
    assert all(job_id.startswith("cron:tick:") for job_id in seen)


@pytest.mark.postgres_only
async def test_cron_runs_once_per_time_across_arq_workers(
    nv_resources: Any, nv_settings: Any
) -> None:
    nv_resources.pm.register(nv_test_jobs.CronPlugin())
    ticks = Path(nv_settings.data_dir) / "ticks"
    workers = [make_worker(nv_settings, resources=nv_resources) for _ in range(2)]
    for worker in workers:
        worker._handle_signals = False  # run inside the test's loop
    tasks = [asyncio.create_task(worker.async_run()) for worker in workers]
    try:
        await _wait_for(lambda: len(lines(ticks)) >= 3)
    finally:
        for worker in workers:
            await worker.close()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    seen = lines(ticks)
    assert len(seen) == len(set(seen)), seen


# ---------------------------------------------------------------- the queues directly


async def test_queue_type_matches_the_shape(nv_resources: Any, nv_settings: Any) -> None:
    expected = ArqJobQueue if nv_settings.uses_redis else LocalJobQueue
    assert isinstance(nv_resources.jobs, expected)
    counts = await nv_resources.jobs.counts()
    assert set(counts) == {"queued", "running", "done", "failed"}


@pytest.mark.sqlite_only
async def test_local_queue_runs_jobs_in_its_own_tasks(nv_resources: Any, out: str) -> None:
    """The runner started with the app picks up new work without being asked."""
    await nv_resources.jobs.enqueue("record", job_id="bg", path=out, text="bg")
    await _wait_for(lambda: lines(out) == ["bg try=1"])
    await _wait_for_status(nv_resources.jobs, "bg", "done")


async def _wait_for_status(queue: Any, job_id: str, status: str) -> None:
    async with asyncio.timeout(15):
        while await queue.status(job_id) != status:
            await asyncio.sleep(0.05)


@pytest.mark.postgres_only
async def test_arq_queue_keeps_the_error_of_a_failed_job(
    nv_resources: Any, nv_run_jobs: Any, out: str
) -> None:
    jobs = nv_resources.jobs
    await jobs.enqueue("always_fails", job_id="arq-doomed", path=out)
    assert (await jobs.counts())["queued"] == 1
    info = await jobs.info("arq-doomed")
    assert (info.status, info.name) == ("queued", "always_fails")
    await nv_run_jobs()
    info = await jobs.info("arq-doomed")
    assert (info.status, info.tries, info.error) == ("failed", 2, "ValueError: boom")


# ---------------------------------------------------------------- nichevid jobs


def _cli_env(settings: Any) -> dict[str, str]:
    return {
        "NICHEVID_DATA_DIR": str(settings.data_dir),
        "NICHEVID_DATABASE_URL": settings.database_url,
        "NICHEVID_REDIS_URL": settings.redis.url,
        "NICHEVID_JOBS__QUEUE_NAME": settings.jobs.queue_name,
        "NICHEVID_SECRET_KEY": "test-secret-key-not-for-production",
    }


async def _fail_a_job(settings: Any, out: str) -> None:
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    pm = make_plugin_manager(settings, extra_plugins=[nv_test_jobs.plugin])
    resources = await open_resources(settings, pm, start_jobs=False)
    try:
        await resources.jobs.enqueue("always_fails", job_id="cli-doomed", path=out)
        if isinstance(resources.jobs, LocalJobQueue):
            await resources.jobs.run_until_idle(limit=30)
        else:
            worker = make_worker(settings, burst=True, resources=resources)
            try:
                await asyncio.wait_for(worker.async_run(), timeout=30)
            finally:
                await worker.close()
    finally:
        await close_resources(resources)


@pytest.mark.usefixtures("_nv_migrated")
def test_jobs_commands_list_and_retry_failed_jobs(nv_settings_factory: Any, out: str) -> None:
    from click.testing import CliRunner

    from nichevid.cli import main

    settings = nv_settings_factory(jobs={"queue_name": "nichevid-test:cli"})
    asyncio.run(_fail_a_job(settings, out))
    runner = CliRunner()
    env = _cli_env(settings)
    try:
        listed = runner.invoke(main, ["jobs", "list"], env=env, obj={})
        assert listed.exit_code == 0, listed.output
        assert "failed 1" in listed.output
        assert "failed cli-doomed (always_fails, 2 tries): ValueError: boom" in listed.output

        retried = runner.invoke(main, ["jobs", "retry", "cli-doomed"], env=env, obj={})
        assert retried.exit_code == 0, retried.output
        assert "queued cli-doomed again" in retried.output

        again = runner.invoke(main, ["jobs", "retry", "cli-doomed"], env=env, obj={})
        assert again.exit_code == 2
        assert again.output.startswith("error: job 'cli-doomed' is not a failed job")

        as_json = runner.invoke(main, ["jobs", "list", "--json"], env=env, obj={})
        assert json.loads(as_json.output)["counts"]["queued"] == 1
    finally:
        asyncio.run(clear_instance(settings))
