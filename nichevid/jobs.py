"""Background jobs: one registry, two runners with the same semantics.

A job is an ``async def fn(ctx, **kwargs)`` registered through ``register_jobs``.
``ctx`` is a dict with ``settings``, ``pm``, ``storage``, ``jobs`` (a queue for
follow-up work), ``job_id`` and ``job_try`` (1 on the first run).

* With Redis configured, jobs go to arq; ``nichevid worker`` runs :func:`worker_settings`.
* Without Redis, :class:`LocalJobQueue` keeps jobs in the ``nv_job`` table and runs them
  in the web process. Jobs that were queued or running when the process stopped are
  picked up again at start.

Both give each job a unique id (enqueueing an id that is queued or running again is a
no-op), a timeout, and retries with exponential back-off up to ``max_tries``.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pluggy

from nichevid.plugins import collect_lists

log = logging.getLogger("nichevid.jobs")

JobFunc = Callable[..., Awaitable[Any]]
CronOption = int | set[int] | None


@dataclass(frozen=True)
class Job:
    """A background function addressed by name."""

    name: str
    func: JobFunc
    max_tries: int = 5
    timeout: float = 300.0
    # Seconds before the first retry; doubled for each further try.
    backoff: float = 2.0

    def retry_delay(self, job_try: int) -> float:
        """Seconds to wait before try ``job_try + 1``."""
        return float(self.backoff * (2 ** max(0, job_try - 1)))


@dataclass(frozen=True)
class CronJob:
    """A job run on a schedule (fields as in cron; ``None`` means every)."""

    name: str
    func: JobFunc
    hour: CronOption = None
    minute: CronOption = None
    second: CronOption = 0
    run_at_startup: bool = False
    timeout: float = 300.0


class JobError(Exception):
    """A job cannot be enqueued (unknown name, bad arguments)."""


class JobRegistry:
    """Every job and cron job the core and the enabled plugins register."""

    def __init__(self, jobs: list[Job], crons: list[CronJob]) -> None:
        self.jobs: dict[str, Job] = {}
        for job in jobs:
            if job.name in self.jobs:
                raise JobError(f"two jobs are named {job.name!r}; job names must be unique")
            self.jobs[job.name] = job
        self.crons = crons

    @classmethod
    def from_plugins(cls, pm: pluggy.PluginManager) -> JobRegistry:
        """Collect ``register_jobs`` and ``register_cron_jobs``."""
        return cls(collect_lists(pm.hook.register_jobs), collect_lists(pm.hook.register_cron_jobs))

    def get(self, name: str) -> Job:
        """The job named ``name``; raise :class:`JobError` when none is registered."""
        try:
            return self.jobs[name]
        except KeyError:
            raise JobError(f"no job named {name!r} is registered") from None


class JobQueue(abc.ABC):
    """Where work is enqueued; the web app and the jobs themselves use it."""

    def __init__(self, registry: JobRegistry) -> None:
        self.registry = registry

    @abc.abstractmethod
    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_by: float = 0, **kwargs: Any
    ) -> bool:
        """Queue job ``name``; return ``False`` when a job with ``job_id`` is already pending."""

    @abc.abstractmethod
    async def status(self, job_id: str) -> str | None:
        """``queued``, ``running``, ``done``, ``failed`` or ``None`` when unknown."""

    async def start(self, ctx: dict[str, Any]) -> None:  # noqa: B027 - optional
        """Begin running jobs in this process (only the in-process runner does)."""

    async def close(self) -> None:  # noqa: B027 - optional
        """Stop running jobs and release connections."""

    async def check(self) -> None:  # noqa: B027 - optional
        """Raise when the queue cannot accept work (readiness)."""


def _now() -> datetime:
    return datetime.now(UTC)


class LocalJobQueue(JobQueue):
    """Jobs in the database, run by tasks in this process."""

    def __init__(
        self, registry: JobRegistry, concurrency: int = 2, poll_interval: float = 0.5
    ) -> None:
        super().__init__(registry)
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._ctx: dict[str, Any] = {}
        self._claim_lock = asyncio.Lock()

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_by: float = 0, **kwargs: Any
    ) -> bool:
        from nichevid.core.tables import JobRow

        job = self.registry.get(name)
        job_id = job_id or f"{name}:{uuid.uuid4().hex}"
        row = JobRow(
            job_id=job_id,
            name=name,
            kwargs=kwargs,
            status="queued",
            max_tries=job.max_tries,
            timeout=int(job.timeout),
            run_at=_now() + timedelta(seconds=defer_by),
        )
        existing = await JobRow.select(JobRow.status).where(JobRow.job_id == job_id).first().run()
        if existing is not None:
            if existing["status"] in ("queued", "running"):
                return False
            # A finished job with the same id may run again, like arq once its result expired.
            await JobRow.delete().where(JobRow.job_id == job_id).run()
        inserted = (
            await JobRow.insert(row).on_conflict(action="DO NOTHING").returning(JobRow.id).run()
        )
        self._wake.set()
        return bool(inserted)

    async def status(self, job_id: str) -> str | None:
        from nichevid.core.tables import JobRow

        row = await JobRow.select(JobRow.status).where(JobRow.job_id == job_id).first().run()
        return None if row is None else str(row["status"])

    async def start(self, ctx: dict[str, Any]) -> None:
        from nichevid.core.tables import JobRow

        self._ctx = ctx
        # Work that was running when the process stopped is queued again: nothing is stranded.
        await JobRow.update({JobRow.status: "queued"}).where(JobRow.status == "running").run()
        for index in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._loop(), name=f"nichevid-job-{index}"))
        for cron in self.registry.crons:
            self._tasks.append(asyncio.create_task(self._cron_loop(cron), name=f"cron-{cron.name}"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def run_until_idle(self, limit: float = 60.0) -> None:
        """Run due jobs in this task until none is queued or running (tests, the demo)."""
        from nichevid.core.tables import JobRow

        async with asyncio.timeout(limit):
            while True:
                if await self._run_one():
                    continue
                pending = (
                    await JobRow.count().where(JobRow.status.is_in(["queued", "running"])).run()
                )
                if not pending:
                    return
                await asyncio.sleep(0.05)

    async def _claim(self) -> Any:
        from nichevid.core.tables import JobRow

        async with self._claim_lock:
            row = await (
                JobRow.objects()
                .where((JobRow.status == "queued") & (JobRow.run_at <= _now()))
                .order_by(JobRow.run_at)
                .first()
                .run()
            )
            if row is None:
                return None
            # Compare-and-set, so two processes sharing the file never run one job twice.
            claimed = await (
                JobRow.update(
                    {
                        JobRow.status: "running",
                        JobRow.started_at: _now(),
                        JobRow.tries: row.tries + 1,
                    }
                )
                .where((JobRow.id == row.id) & (JobRow.status == "queued"))
                .returning(JobRow.id)
                .run()
            )
            if not claimed:
                return None
            row.tries += 1
            return row

    async def _run_one(self) -> bool:
        from nichevid.core.tables import JobRow

        row = await self._claim()
        if row is None:
            return False
        job = self.registry.jobs.get(row.name)
        if job is None:
            await (
                JobRow.update(
                    {
                        JobRow.status: "failed",
                        JobRow.error: f"no job named {row.name!r}",
                        JobRow.finished_at: _now(),
                    }
                )
                .where(JobRow.id == row.id)
                .run()
            )
            return True
        ctx = {**self._ctx, "job_id": row.job_id, "job_try": row.tries}
        try:
            await asyncio.wait_for(job.func(ctx, **(row.kwargs or {})), timeout=job.timeout)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if row.tries < job.max_tries:
                delay = job.retry_delay(row.tries)
                log.warning(
                    "job %s try %d failed (%s); retrying in %.1fs",
                    row.job_id,
                    row.tries,
                    error,
                    delay,
                )
                await (
                    JobRow.update(
                        {
                            JobRow.status: "queued",
                            JobRow.error: error,
                            JobRow.run_at: _now() + timedelta(seconds=delay),
                        }
                    )
                    .where(JobRow.id == row.id)
                    .run()
                )
            else:
                log.error("job %s failed for good after %d tries: %s", row.job_id, row.tries, error)
                await (
                    JobRow.update(
                        {JobRow.status: "failed", JobRow.error: error, JobRow.finished_at: _now()}
                    )
                    .where(JobRow.id == row.id)
                    .run()
                )
            return True
        await (
            JobRow.update({JobRow.status: "done", JobRow.error: "", JobRow.finished_at: _now()})
            .where(JobRow.id == row.id)
            .run()
        )
        return True

    async def _loop(self) -> None:
        while True:
            try:
                ran = await self._run_one()
            except Exception:
                log.exception("job runner error")
                ran = False
            if not ran:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)

    async def _cron_loop(self, cron: CronJob) -> None:
        from arq.cron import next_cron

        if cron.run_at_startup:
            await self._run_cron(cron)
        while True:
            now = datetime.now()
            due = next_cron(
                now, hour=cron.hour, minute=cron.minute, second=cron.second, microsecond=0
            )
            await asyncio.sleep(max(0.0, (due - datetime.now()).total_seconds()))
            await self._run_cron(cron)

    async def _run_cron(self, cron: CronJob) -> None:
        ctx = {**self._ctx, "job_id": f"cron:{cron.name}", "job_try": 1}
        try:
            await asyncio.wait_for(cron.func(ctx), timeout=cron.timeout)
        except Exception:
            log.exception("cron job %s failed", cron.name)


class ArqJobQueue(JobQueue):
    """Jobs in Redis, run by ``nichevid worker`` processes on any host."""

    def __init__(self, registry: JobRegistry, pool: Any, queue_name: str) -> None:
        super().__init__(registry)
        self.pool = pool
        self.queue_name = queue_name

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_by: float = 0, **kwargs: Any
    ) -> bool:
        self.registry.get(name)
        job = await self.pool.enqueue_job(
            name,
            _job_id=job_id,
            _queue_name=self.queue_name,
            _defer_by=defer_by or None,
            **kwargs,
        )
        return job is not None

    async def status(self, job_id: str) -> str | None:
        from arq.jobs import Job as ArqJob
        from arq.jobs import JobStatus

        job = ArqJob(job_id, self.pool, _queue_name=self.queue_name)
        state = await job.status()
        if state == JobStatus.not_found:
            return None
        if state == JobStatus.complete:
            info = await job.result_info()
            return "done" if info is not None and info.success else "failed"
        if state == JobStatus.in_progress:
            return "running"
        return "queued"

    async def close(self) -> None:
        await self.pool.aclose()

    async def check(self) -> None:
        await self.pool.ping()


def _arq_function(job: Job) -> Any:
    from arq import Retry
    from arq.worker import func

    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        try:
            return await job.func(ctx, **kwargs)
        except Exception as exc:
            if ctx["job_try"] < job.max_tries:
                delay = job.retry_delay(ctx["job_try"])
                log.warning(
                    "job %s try %d failed (%s); retrying in %.1fs",
                    ctx["job_id"],
                    ctx["job_try"],
                    exc,
                    delay,
                )
                raise Retry(defer=delay) from exc
            raise

    run.__qualname__ = run.__name__ = job.name
    return func(run, name=job.name, max_tries=job.max_tries, timeout=job.timeout)


def redis_settings(url: str, timeout: float = 3.0) -> Any:
    """arq ``RedisSettings`` for a URL, failing fast when Redis is down."""
    from arq.connections import RedisSettings

    rs = RedisSettings.from_dsn(url)
    rs.conn_timeout = max(1, int(timeout))
    rs.conn_retries = 1
    rs.conn_retry_delay = 0
    return rs


def worker_settings(settings: Any, *, burst: bool = False, resources: Any = None) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker`` serving this instance's jobs.

    Args:
        settings: The instance settings (Redis must be configured).
        burst: Exit once the queue is empty.
        resources: Already-open resources to share (a worker inside a running app, in tests);
            by default the worker opens and closes its own.
    """
    from arq.cron import cron

    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    pm = resources.pm if resources is not None else make_plugin_manager(settings)
    registry = JobRegistry.from_plugins(pm)

    async def on_startup(ctx: dict[str, Any]) -> None:
        if resources is not None:
            ctx.update(resources.job_context())
            return
        own = await open_resources(settings, pm, start_jobs=False)
        ctx.update(own.job_context())
        ctx["_resources"] = own

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        own = ctx.get("_resources")
        if own is not None:
            await close_resources(own)

    return {
        "functions": [_arq_function(job) for job in registry.jobs.values()],
        "cron_jobs": [
            cron(
                c.func,  # type: ignore[arg-type]
                name=c.name,
                hour=c.hour,
                minute=c.minute,
                second=c.second,
                run_at_startup=c.run_at_startup,
                timeout=c.timeout,
                unique=True,
            )
            for c in registry.crons
        ],
        "redis_settings": redis_settings(settings.redis.url, settings.redis.connect_timeout),
        "queue_name": settings.jobs.queue_name,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "burst": burst,
        "poll_delay": 0.1 if burst else 0.5,
        "handle_signals": not burst,
        "max_jobs": max(1, settings.jobs.concurrency * 4),
        "keep_result": 3600,
        "retry_jobs": True,
    }
