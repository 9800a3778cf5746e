"""Job definitions, the registry and the queue interface shared by both runners."""

from __future__ import annotations

import abc
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pluggy

from nichevid.plugins import collect_lists

JobFunc = Callable[..., Awaitable[Any]]
CronOption = int | set[int] | None

# Job statuses, the same in both runners.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PENDING = (QUEUED, RUNNING)
# Prefix of the names cron jobs run under, so they never clash with a job's name.
CRON_PREFIX = "cron:"


@dataclass(frozen=True)
class Job:
    """A background function addressed by name.

    Attributes:
        name: Unique name; jobs are enqueued by it.
        func: ``async def func(ctx, **kwargs)``; keyword arguments must be JSON values.
        max_tries: Runs before the job is marked ``failed`` (1 means no retry).
        timeout: Seconds one try may take; a try that takes longer fails and is retried.
        backoff: Seconds before the first retry; doubled for each further try.
    """

    name: str
    func: JobFunc
    max_tries: int = 5
    timeout: float = 300.0
    backoff: float = 2.0

    def retry_delay(self, job_try: int) -> float:
        """Seconds to wait after failed try ``job_try`` (1-based) before the next one."""
        return float(self.backoff * (2 ** max(0, job_try - 1)))


@dataclass(frozen=True)
class CronJob:
    """A job run on a schedule (fields as in cron; ``None`` means every).

    Each scheduled run happens once per instance, however many processes or workers
    are running; a run that fails is not retried (the next one comes on schedule).
    """

    name: str
    func: JobFunc
    hour: CronOption = None
    minute: CronOption = None
    second: CronOption = 0
    run_at_startup: bool = False
    timeout: float = 300.0

    def as_job(self) -> Job:
        """The one-try :class:`Job` a scheduled run executes as."""
        return Job(CRON_PREFIX + self.name, self.func, max_tries=1, timeout=self.timeout)


@dataclass(frozen=True)
class JobInfo:
    """What a queue knows about one job."""

    job_id: str
    name: str
    status: str
    tries: int = 0
    error: str = ""
    run_at: datetime | None = None


class JobError(Exception):
    """A job cannot be enqueued (unknown name, bad arguments)."""


class JobTimeout(Exception):
    """A try ran longer than its job's ``timeout``."""


def describe_error(exc: BaseException) -> str:
    """``Type: message`` for a job failure, as kept in the job's ``error``."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_kwargs(name: str, kwargs: dict[str, Any]) -> None:
    """Refuse arguments that are not JSON values, so both runners accept the same jobs."""
    try:
        json.dumps(kwargs)
    except (TypeError, ValueError) as exc:
        raise JobError(f"arguments of job {name!r} must be JSON values: {exc}") from None


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class JobRegistry:
    """Every job and cron job the core and the enabled plugins register."""

    def __init__(self, jobs: list[Job], crons: list[CronJob]) -> None:
        self.jobs: dict[str, Job] = {}
        for job in jobs:
            if job.name in self.jobs:
                raise JobError(f"two jobs are named {job.name!r}; job names must be unique")
            if job.max_tries < 1 or job.timeout <= 0 or job.backoff < 0:
                raise JobError(
                    f"job {job.name!r} needs max_tries >= 1, timeout > 0 and backoff >= 0"
                )
            self.jobs[job.name] = job
        self.crons: list[CronJob] = []
        for cron in crons:
            if any(c.name == cron.name for c in self.crons):
                raise JobError(f"two cron jobs are named {cron.name!r}; names must be unique")
            self.crons.append(cron)

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

    def runnable(self, name: str) -> Job | None:
        """The job a queued entry named ``name`` runs: a job, or a cron job's scheduled run."""
        if name in self.jobs:
            return self.jobs[name]
        for cron in self.crons:
            if CRON_PREFIX + cron.name == name:
                return cron.as_job()
        return None


class JobQueue(abc.ABC):
    """Where work is enqueued; the web app, commands and the jobs themselves use it."""

    def __init__(self, registry: JobRegistry) -> None:
        self.registry = registry

    @abc.abstractmethod
    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_by: float = 0, **kwargs: Any
    ) -> bool:
        """Queue job ``name`` with keyword arguments ``kwargs``.

        Args:
            name: A registered job name.
            job_id: Unique id; by default a random one. While a job with this id is
                queued or running, enqueueing it again does nothing. A finished
                (done or failed) job with this id runs again.
            defer_by: Seconds to wait before the job may start.
            **kwargs: The job's arguments (JSON values).

        Returns:
            ``False`` when a job with ``job_id`` is already queued or running.

        Raises:
            JobError: Unknown job name, or arguments that are not JSON values.
        """

    @abc.abstractmethod
    async def info(self, job_id: str) -> JobInfo | None:
        """What is known about job ``job_id``, or ``None`` when nothing is."""

    async def status(self, job_id: str) -> str | None:
        """``queued``, ``running``, ``done``, ``failed`` or ``None`` when unknown."""
        found = await self.info(job_id)
        return None if found is None else found.status

    @abc.abstractmethod
    async def counts(self) -> dict[str, int]:
        """Number of jobs by status (what this queue can tell)."""

    @abc.abstractmethod
    async def failed(self, limit: int = 50) -> list[JobInfo]:
        """Jobs that failed for good, most recent first (with their errors)."""

    @abc.abstractmethod
    async def retry(self, job_id: str) -> bool:
        """Queue a failed job again with a fresh set of tries; ``False`` if it is not failed."""

    async def start(self, ctx: dict[str, Any]) -> None:  # noqa: B027 - optional
        """Begin running jobs in this process (only the in-process runner does)."""

    async def close(self) -> None:  # noqa: B027 - optional
        """Stop running jobs and release connections."""

    async def check(self) -> None:  # noqa: B027 - optional
        """Raise when the queue cannot accept work (readiness)."""
