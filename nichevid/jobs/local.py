"""The in-process runner: jobs in the ``nv_job`` table, run by tasks of the web process.

Several processes may share one database (``nichevid serve --workers 2``). A process
claims a job with a compare-and-set on its row and holds a lease (``locked_until``)
that it renews while the job runs. A job whose lease ran out belonged to a process
that died: any process queues it again, so a restart never strands work and a live
process never loses a job it is running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from nichevid.jobs.base import (
    CRON_PREFIX,
    DONE,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    CronJob,
    Job,
    JobInfo,
    JobQueue,
    JobRegistry,
    JobTimeout,
    check_kwargs,
    describe_error,
    now,
)

log = logging.getLogger("nichevid.jobs")

# Finished jobs are deleted after these many seconds (failed ones stay for inspection).
KEEP_DONE = 24 * 3600.0
KEEP_FAILED = 30 * 24 * 3600.0
# How often expired leases are looked for and old rows pruned.
MAINTENANCE_INTERVAL = 300.0


def _kwargs(value: Any) -> dict[str, Any]:
    # Piccolo hands JSON columns back as text.
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return dict(value or {})


class LocalJobQueue(JobQueue):
    """Jobs in the database, run by tasks in this process."""

    def __init__(
        self,
        registry: JobRegistry,
        concurrency: int = 2,
        poll_interval: float = 0.5,
        lease: float = 60.0,
    ) -> None:
        """Create the queue; nothing runs until :meth:`start`.

        Args:
            registry: The jobs this process can run.
            concurrency: Jobs run at once by this process.
            poll_interval: Seconds between looks at the table when idle.
            lease: Seconds a claim lasts without renewal (renewed every third of it).
        """
        super().__init__(registry)
        self.concurrency = max(1, concurrency)
        self.poll_interval = poll_interval
        self.lease = max(0.5, lease)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._ctx: dict[str, Any] = {}
        self._claim_lock = asyncio.Lock()
        self._last_reap = 0.0
        self._last_prune = 0.0

    # ------------------------------------------------------------------ enqueueing

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_by: float = 0, **kwargs: Any
    ) -> bool:
        job = self.registry.get(name)
        check_kwargs(name, kwargs)
        return await self._insert(
            job, job_id or f"{name}:{uuid.uuid4().hex}", kwargs, defer_by, replace_finished=True
        )

    async def _insert(
        self,
        job: Job,
        job_id: str,
        kwargs: dict[str, Any],
        defer_by: float = 0,
        *,
        replace_finished: bool,
    ) -> bool:
        from nichevid.core.tables import JobRow

        existing = await JobRow.select(JobRow.status).where(JobRow.job_id == job_id).first().run()
        if existing is not None:
            if existing["status"] in PENDING or not replace_finished:
                return False
            # A finished job with the same id runs again, as in arq once its result is gone.
            await (
                JobRow.delete()
                .where((JobRow.job_id == job_id) & JobRow.status.is_in([DONE, FAILED]))
                .run()
            )
        row = JobRow(
            job_id=job_id,
            name=job.name,
            kwargs=kwargs,
            status=QUEUED,
            max_tries=job.max_tries,
            timeout=max(1, round(job.timeout)),
            run_at=now() + timedelta(seconds=defer_by),
        )
        inserted = (
            await JobRow.insert(row).on_conflict(action="DO NOTHING").returning(JobRow.id).run()
        )
        self._wake.set()
        return bool(inserted)

    # ------------------------------------------------------------------ inspecting

    async def info(self, job_id: str) -> JobInfo | None:
        from nichevid.core.tables import JobRow

        row = await JobRow.select().where(JobRow.job_id == job_id).first().run()
        return None if row is None else _info(row)

    async def counts(self) -> dict[str, int]:
        from piccolo.query.functions.aggregate import Count

        from nichevid.core.tables import JobRow

        rows = await (
            JobRow.select(JobRow.status, Count(alias="count")).group_by(JobRow.status).run()
        )
        found = {str(r["status"]): int(r["count"]) for r in rows}
        return {status: found.get(status, 0) for status in (QUEUED, RUNNING, DONE, FAILED)}

    async def failed(self, limit: int = 50) -> list[JobInfo]:
        from nichevid.core.tables import JobRow

        rows = await (
            JobRow.select()
            .where(JobRow.status == FAILED)
            .order_by(JobRow.finished_at, ascending=False)
            .limit(limit)
            .run()
        )
        return [_info(row) for row in rows]

    async def retry(self, job_id: str) -> bool:
        from nichevid.core.tables import JobRow

        updated = await (
            JobRow.update(
                {
                    JobRow.status: QUEUED,
                    JobRow.tries: 0,
                    JobRow.run_at: now(),
                    JobRow.finished_at: None,
                    JobRow.worker: "",
                }
            )
            .where((JobRow.job_id == job_id) & (JobRow.status == FAILED))
            .returning(JobRow.id)
            .run()
        )
        self._wake.set()
        return bool(updated)

    # ------------------------------------------------------------------ running

    async def start(self, ctx: dict[str, Any]) -> None:
        """Recover work whose process died, then run jobs and cron schedules in tasks."""
        self._ctx = ctx
        await self._maintain(force=True)
        for index in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._loop(), name=f"nichevid-job-{index}"))
        for cron in self.registry.crons:
            self._tasks.append(asyncio.create_task(self._cron_loop(cron), name=f"cron-{cron.name}"))

    async def close(self) -> None:
        """Stop the runner; jobs cut short are queued again at once, their try not counted."""
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
                pending = await JobRow.count().where(JobRow.status.is_in(list(PENDING))).run()
                if not pending:
                    return
                await asyncio.sleep(0.05)

    async def _maintain(self, *, force: bool = False) -> None:
        """Queue again the jobs of dead processes; delete old finished rows."""
        from nichevid.core.tables import JobRow

        clock = time.monotonic()
        if force or clock - self._last_reap >= min(self.lease / 3, MAINTENANCE_INTERVAL):
            self._last_reap = clock
            await self._reap()
        if force or clock - self._last_prune >= MAINTENANCE_INTERVAL:
            self._last_prune = clock
            moment = now()
            await (
                JobRow.delete()
                .where(
                    (
                        (JobRow.status == DONE)
                        & (JobRow.finished_at < moment - timedelta(seconds=KEEP_DONE))
                    )
                    | (
                        (JobRow.status == FAILED)
                        & (JobRow.finished_at < moment - timedelta(seconds=KEEP_FAILED))
                    )
                )
                .run()
            )

    async def _reap(self) -> None:
        from nichevid.core.tables import JobRow

        moment = now()
        expired = (JobRow.status == RUNNING) & (
            (JobRow.locked_until < moment) | JobRow.locked_until.is_null()
        )
        rows = (
            await JobRow.select(
                JobRow.id, JobRow.job_id, JobRow.tries, JobRow.max_tries, JobRow.worker
            )
            .where(expired)
            .run()
        )
        for row in rows:
            error = f"the process running try {row['tries']} stopped ({row['worker'] or '?'})"
            if row["tries"] >= row["max_tries"]:
                values: dict[Any, Any] = {
                    JobRow.status: FAILED,
                    JobRow.error: error,
                    JobRow.finished_at: moment,
                }
            else:
                values = {JobRow.status: QUEUED, JobRow.error: error, JobRow.run_at: moment}
            done = await (
                JobRow.update({**values, JobRow.worker: "", JobRow.locked_until: None})
                .where((JobRow.id == row["id"]) & expired)
                .returning(JobRow.id)
                .run()
            )
            if done:
                log.warning("job %s: %s; %s", row["job_id"], error, values[JobRow.status])
                self._wake.set()

    async def _claim(self) -> Any:
        from nichevid.core.tables import JobRow

        async with self._claim_lock:
            await self._maintain()
            moment = now()
            row = await (
                JobRow.objects()
                .where((JobRow.status == QUEUED) & (JobRow.run_at <= moment))
                .order_by(JobRow.run_at)
                .order_by(JobRow.id)
                .first()
                .run()
            )
            if row is None:
                return None
            # Compare-and-set, so two processes sharing the database never run one job twice.
            claimed = await (
                JobRow.update(
                    {
                        JobRow.status: RUNNING,
                        JobRow.started_at: moment,
                        JobRow.tries: row.tries + 1,
                        JobRow.worker: self.worker_id,
                        JobRow.locked_until: moment + timedelta(seconds=self.lease),
                    }
                )
                .where((JobRow.id == row.id) & (JobRow.status == QUEUED))
                .returning(JobRow.id)
                .run()
            )
            if not claimed:
                return None
            row.tries += 1
            return row

    def _mine(self, row_id: int) -> Any:
        from nichevid.core.tables import JobRow

        return (
            (JobRow.id == row_id) & (JobRow.status == RUNNING) & (JobRow.worker == self.worker_id)
        )

    async def _hold_lease(self, row_id: int) -> None:
        from nichevid.core.tables import JobRow

        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await (
                    JobRow.update({JobRow.locked_until: now() + timedelta(seconds=self.lease)})
                    .where(self._mine(row_id))
                    .run()
                )
            except Exception:  # a missed renewal is retried; the lease has slack
                log.warning("could not renew the lease of job row %s", row_id, exc_info=True)

    async def _finish(self, row: Any, values: dict[Any, Any]) -> None:
        from nichevid.core.tables import JobRow

        values = {**values, JobRow.worker: "", JobRow.locked_until: None}
        updated = await JobRow.update(values).where(self._mine(row.id)).returning(JobRow.id).run()
        if not updated:
            log.warning("job %s: lease lost while running; another process took it", row.job_id)

    async def _run_one(self) -> bool:
        from nichevid.core.tables import JobRow

        row = await self._claim()
        if row is None:
            return False
        job = self.registry.runnable(row.name)
        if job is None:
            await self._finish(
                row,
                {
                    JobRow.status: FAILED,
                    JobRow.error: f"no job named {row.name!r} is registered",
                    JobRow.finished_at: now(),
                },
            )
            return True
        ctx = {**self._ctx, "job_id": row.job_id, "job_try": row.tries}
        lease = asyncio.create_task(self._hold_lease(row.id))
        try:
            try:
                async with asyncio.timeout(job.timeout):
                    await job.func(ctx, **_kwargs(row.kwargs))
            except TimeoutError as exc:
                raise JobTimeout(f"try took longer than {job.timeout:g}s") from exc
        except asyncio.CancelledError:
            # Shutting down: the job runs again at the next start, this try not counted.
            await asyncio.shield(
                self._finish(row, {JobRow.status: QUEUED, JobRow.tries: row.tries - 1})
            )
            raise
        except Exception as exc:
            await self._failed_try(job, row, describe_error(exc))
        else:
            await self._finish(
                row, {JobRow.status: DONE, JobRow.error: "", JobRow.finished_at: now()}
            )
        finally:
            lease.cancel()
            # wait(), unlike awaiting the task, never swallows a cancellation of this one.
            await asyncio.wait({lease})
        return True

    async def _failed_try(self, job: Job, row: Any, error: str) -> None:
        from nichevid.core.tables import JobRow

        if row.tries < job.max_tries:
            delay = job.retry_delay(row.tries)
            log.warning(
                "job %s try %d failed (%s); retrying in %.1fs", row.job_id, row.tries, error, delay
            )
            await self._finish(
                row,
                {
                    JobRow.status: QUEUED,
                    JobRow.error: error,
                    JobRow.run_at: now() + timedelta(seconds=delay),
                },
            )
            return
        log.error("job %s failed for good after %d tries: %s", row.job_id, row.tries, error)
        await self._finish(
            row, {JobRow.status: FAILED, JobRow.error: error, JobRow.finished_at: now()}
        )

    async def _loop(self) -> None:
        while True:
            try:
                ran = await self._run_one()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job runner error")
                ran = False
            if not ran:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)

    # ------------------------------------------------------------------ cron

    async def _cron_loop(self, cron: CronJob) -> None:
        from arq.cron import next_cron

        if cron.run_at_startup:
            await self._schedule(cron, f"startup:{uuid.uuid4().hex}")
        previous = datetime.now()
        while True:
            due = next_cron(
                previous, hour=cron.hour, minute=cron.minute, second=cron.second, microsecond=0
            )
            await asyncio.sleep(max(0.0, (due - datetime.now()).total_seconds()))
            previous = due
            # Every process computes the same id for a run, so only one of them queues it.
            await self._schedule(cron, str(int(due.timestamp())))

    async def _schedule(self, cron: CronJob, run: str) -> None:
        try:
            await self._insert(
                cron.as_job(), f"{CRON_PREFIX}{cron.name}:{run}", {}, replace_finished=False
            )
        except Exception:
            log.exception("could not queue cron job %s", cron.name)


def _info(row: dict[str, Any]) -> JobInfo:
    return JobInfo(
        job_id=str(row["job_id"]),
        name=str(row["name"]),
        status=str(row["status"]),
        tries=int(row["tries"]),
        error=str(row["error"] or ""),
        run_at=row["run_at"],
    )
