"""Background jobs: one registry, two runners with the same semantics.

A job is an ``async def fn(ctx, **kwargs)`` registered as a :class:`Job` through
``register_jobs``; a :class:`CronJob` from ``register_cron_jobs`` runs on a schedule.
``ctx`` is a dict with ``settings``, ``pm``, ``storage``, ``jobs`` (the queue, for
follow-up work), ``resources``, ``job_id`` and ``job_try`` (1 on the first run).

* With Redis configured, jobs go to arq; ``nichevid worker`` runs :func:`make_worker`
  (any number of processes and hosts).
* Without Redis, :class:`LocalJobQueue` keeps jobs in the ``nv_job`` table and runs them
  in the web process(es).

Both runners give the same guarantees:

* unique job ids: enqueueing an id that is queued or running does nothing and returns
  ``False``; a finished job with that id runs again;
* a timeout per try: a try that takes longer is cancelled and counts as failed;
* retries with exponential back-off (``backoff``, doubled each try) up to ``max_tries``,
  then the status ``failed`` with the error kept;
* cron jobs run once per scheduled time, however many processes run;
* a restart never strands work: a job whose process or worker died is run again once
  its lease (``jobs.lease`` seconds) runs out, by any live process or worker; jobs cut
  short by a clean shutdown are queued again at once.

Keyword arguments must be JSON values, in both shapes. Jobs should be idempotent: a try
cut short by a crash runs again.
"""

from __future__ import annotations

from nichevid.jobs.arq_queue import (
    ArqJobQueue,
    NichevidWorker,
    arq_function,
    make_worker,
    redis_settings,
    worker_settings,
)
from nichevid.jobs.base import (
    CRON_PREFIX,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    CronJob,
    Job,
    JobError,
    JobFunc,
    JobInfo,
    JobQueue,
    JobRegistry,
    JobTimeout,
)
from nichevid.jobs.local import LocalJobQueue

__all__ = [
    "CRON_PREFIX",
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "ArqJobQueue",
    "CronJob",
    "Job",
    "JobError",
    "JobFunc",
    "JobInfo",
    "JobQueue",
    "JobRegistry",
    "JobTimeout",
    "LocalJobQueue",
    "NichevidWorker",
    "arq_function",
    "make_worker",
    "redis_settings",
    "worker_settings",
]
