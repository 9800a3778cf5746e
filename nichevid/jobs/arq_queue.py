"""The production runner: jobs in Redis, run by ``nichevid worker`` processes on any host.

arq marks a job in progress with a key that expires; a worker killed mid-job leaves the
key behind, and the job runs again once it expires. arq gives that key the longest job
timeout plus ten seconds, so one slow job type would strand a killed worker's work for
as long. :class:`NichevidWorker` instead keeps the key for ``jobs.lease`` seconds and
renews it while the job runs, as the in-process runner does with its lease column.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq import Retry
from arq.connections import ArqRedis, RedisSettings
from arq.constants import (
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus
from arq.worker import Worker, func

from nichevid.jobs.base import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Job,
    JobInfo,
    JobQueue,
    JobRegistry,
    JobTimeout,
    check_kwargs,
    describe_error,
)

log = logging.getLogger("nichevid.jobs")

# arq's own timeout is a safety net behind the job's: the job's timeout must fire first, so
# that it counts as a failed try (retried), not as arq's final failure.
TIMEOUT_GRACE = 5.0


class ArqJobQueue(JobQueue):
    """Jobs in Redis, run by ``nichevid worker`` processes on any host."""

    def __init__(self, registry: JobRegistry, pool: ArqRedis, queue_name: str) -> None:
        super().__init__(registry)
        self.pool = pool
        self.queue_name = queue_name

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_by: float = 0, **kwargs: Any
    ) -> bool:
        self.registry.get(name)
        check_kwargs(name, kwargs)
        if job_id is not None and not await self.pool.exists(job_key_prefix + job_id):
            # arq refuses an id whose result is still kept; a finished job may run again.
            await self.pool.delete(result_key_prefix + job_id)
        job = await self.pool.enqueue_job(
            name,
            _job_id=job_id,
            _queue_name=self.queue_name,
            _defer_by=defer_by or None,
            **kwargs,
        )
        return job is not None

    async def info(self, job_id: str) -> JobInfo | None:
        job = ArqJob(job_id, self.pool, _queue_name=self.queue_name)
        state = await job.status()
        if state == JobStatus.not_found:
            return None
        if state == JobStatus.complete:
            result = await job.result_info()
            if result is not None:
                return _result_info(job_id, result)
        definition = await job.info()
        tries = int(await self.pool.get(retry_key_prefix + job_id) or 0)
        return JobInfo(
            job_id=job_id,
            name=definition.function if definition is not None else "",
            status=RUNNING if state == JobStatus.in_progress else QUEUED,
            tries=tries,
        )

    async def counts(self) -> dict[str, int]:
        members = await self.pool.zrange(self.queue_name, 0, -1)
        running = 0
        if members:
            async with self.pool.pipeline(transaction=False) as pipe:
                for member in members:
                    pipe.exists(in_progress_key_prefix + member.decode())
                running = sum(int(found) for found in await pipe.execute())
        results = await self._results()
        return {
            QUEUED: len(members) - running,
            RUNNING: running,
            DONE: sum(1 for r in results if r.success),
            FAILED: sum(1 for r in results if not r.success),
        }

    async def failed(self, limit: int = 50) -> list[JobInfo]:
        results = sorted(
            (r for r in await self._results() if not r.success),
            key=lambda r: r.finish_time,
            reverse=True,
        )
        return [_result_info(str(r.job_id), r) for r in results[:limit]]

    async def _results(self) -> list[Any]:
        # Results are kept for ``keep_result`` seconds; older ones are gone.
        return [r for r in await self.pool.all_job_results() if r.queue_name == self.queue_name]

    async def retry(self, job_id: str) -> bool:
        result = await ArqJob(job_id, self.pool, _queue_name=self.queue_name).result_info()
        if result is None or result.success:
            return False
        await self.pool.delete(result_key_prefix + job_id)
        job = await self.pool.enqueue_job(
            result.function,
            *result.args,
            _job_id=job_id,
            _queue_name=self.queue_name,
            **result.kwargs,
        )
        return job is not None

    async def close(self) -> None:
        await self.pool.aclose()

    async def check(self) -> None:
        await self.pool.ping()


def _result_info(job_id: str, result: Any) -> JobInfo:
    return JobInfo(
        job_id=job_id,
        name=str(result.function),
        status=DONE if result.success else FAILED,
        tries=int(result.job_try or 0),
        error="" if result.success else describe_error(result.result),
    )


def arq_function(job: Job) -> Any:
    """Wrap a :class:`Job` for arq: its timeout is a failed try, retried with back-off."""

    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        try:
            try:
                async with asyncio.timeout(job.timeout):
                    return await job.func(ctx, **kwargs)
            except TimeoutError as exc:
                raise JobTimeout(f"try took longer than {job.timeout:g}s") from exc
        except Exception as exc:
            if ctx["job_try"] < job.max_tries:
                delay = job.retry_delay(ctx["job_try"])
                log.warning(
                    "job %s try %d failed (%s); retrying in %.1fs",
                    ctx["job_id"],
                    ctx["job_try"],
                    describe_error(exc),
                    delay,
                )
                raise Retry(defer=delay) from exc
            raise

    run.__qualname__ = run.__name__ = job.name
    return func(run, name=job.name, max_tries=job.max_tries, timeout=job.timeout + TIMEOUT_GRACE)


def redis_settings(url: str, timeout: float = 3.0) -> RedisSettings:
    """arq ``RedisSettings`` for a URL, failing fast when Redis is down."""
    rs = RedisSettings.from_dsn(url)
    rs.conn_timeout = max(1, round(timeout))
    rs.conn_retries = 1
    rs.conn_retry_delay = 0
    return rs


class NichevidWorker(Worker):
    """An arq worker whose claim on a running job is a short lease, renewed while it runs."""

    def __init__(self, *, lease: float = 60.0, **kwargs: Any) -> None:
        """Create the worker.

        Args:
            lease: Seconds a killed worker's job stays claimed before another worker runs it.
            **kwargs: Passed to :class:`arq.worker.Worker`.
        """
        super().__init__(**kwargs)
        self.lease = max(0.5, lease)
        self.in_progress_timeout_s = self.lease

    async def main(self) -> None:
        renewer = asyncio.create_task(self._renew_leases())
        try:
            await super().main()
        finally:
            renewer.cancel()
            await asyncio.wait({renewer})

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            running = list(self.job_tasks)
            if not running or self._pool is None:
                continue
            try:
                async with self.pool.pipeline(transaction=False) as pipe:
                    for job_id in running:
                        # XX: never recreate the key of a job that just finished.
                        pipe.pexpire(
                            in_progress_key_prefix + job_id, round(self.lease * 1000), xx=True
                        )
                    await pipe.execute()
            except Exception:  # a missed renewal is retried; the lease has slack
                log.warning("could not renew job leases", exc_info=True)


def worker_settings(settings: Any, *, burst: bool = False, resources: Any = None) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker`` serving this instance's jobs.

    Args:
        settings: The instance settings (Redis must be configured).
        burst: Exit once the queue is empty.
        resources: Already-open resources to share (``nichevid worker``, tests);
            by default the worker opens and closes its own at start and stop.
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
        "functions": [arq_function(job) for job in registry.jobs.values()],
        "cron_jobs": [
            cron(
                c.func,  # type: ignore[arg-type]
                name=c.as_job().name,
                hour=c.hour,
                minute=c.minute,
                second=c.second,
                run_at_startup=c.run_at_startup,
                timeout=c.timeout,
                max_tries=1,
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


def make_worker(settings: Any, *, burst: bool = False, resources: Any = None) -> NichevidWorker:
    """A :class:`NichevidWorker` for this instance (see :func:`worker_settings`)."""
    return NichevidWorker(
        lease=settings.jobs.lease,
        **worker_settings(settings, burst=burst, resources=resources),
    )
