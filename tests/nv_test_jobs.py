"""Jobs the job tests run, observable through files they append to.

In-process tests register :data:`plugin` through ``nv_plugins``; worker and server
subprocesses load it with ``NICHEVID_EXTRA_PLUGINS=nv_test_jobs:plugin`` (with this
directory on ``PYTHONPATH``).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from nichevid.jobs import CronJob, Job
from nichevid.plugins import hookimpl

FAST_BACKOFF = 0.05


def append(path: str, text: str) -> None:
    """Append one line to ``path`` (whole lines, so concurrent writers do not interleave)."""
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(text + "\n")


def lines(path: str | Path) -> list[str]:
    """The lines written to ``path`` so far."""
    file = Path(path)
    return file.read_text(encoding="utf-8").splitlines() if file.exists() else []


async def record(ctx: dict[str, Any], path: str, text: str, then: str = "") -> None:
    append(path, f"{text} try={ctx['job_try']}")
    if then:
        await ctx["jobs"].enqueue("record", path=path, text=then)


async def probe_ctx(ctx: dict[str, Any], path: str) -> None:
    facts = {
        "keys": sorted(ctx),
        "job_id": ctx["job_id"],
        "job_try": ctx["job_try"],
        "site_name": ctx["settings"].site_name,
        "has_hook": hasattr(ctx["pm"].hook, "register_jobs"),
        "storage": type(ctx["storage"]).__name__,
        "queue": type(ctx["jobs"]).__name__,
    }
    append(path, json.dumps(facts))


async def flaky(ctx: dict[str, Any], path: str, fail_times: int) -> None:
    append(path, f"try={ctx['job_try']}")
    if ctx["job_try"] <= fail_times:
        raise RuntimeError(f"flaky try {ctx['job_try']}")


async def always_fails(ctx: dict[str, Any], path: str) -> None:
    append(path, f"try={ctx['job_try']}")
    raise ValueError("boom")


async def slow(ctx: dict[str, Any], path: str, slow_tries: int) -> None:
    append(path, f"start try={ctx['job_try']}")
    if ctx["job_try"] <= slow_tries:
        await asyncio.sleep(30)
    append(path, f"done try={ctx['job_try']}")


async def crash_once(ctx: dict[str, Any], path: str) -> None:
    """First try: say so and hang (the test kills the process); later tries finish."""
    append(path, f"start try={ctx['job_try']} pid={os.getpid()}")
    if ctx["job_try"] == 1:
        await asyncio.sleep(120)
    append(path, f"done try={ctx['job_try']} pid={os.getpid()}")


async def nap(ctx: dict[str, Any], path: str, seconds: float) -> None:
    append(path, f"start try={ctx['job_try']} pid={os.getpid()}")
    await asyncio.sleep(seconds)
    append(path, f"done try={ctx['job_try']} pid={os.getpid()}")


async def tick(ctx: dict[str, Any]) -> None:
    append(str(ctx["settings"].data_dir / "ticks"), ctx["job_id"])


JOBS = [
    Job("record", record, max_tries=1),
    Job("probe_ctx", probe_ctx, max_tries=1),
    Job("flaky", flaky, max_tries=3, backoff=FAST_BACKOFF),
    Job("always_fails", always_fails, max_tries=2, backoff=FAST_BACKOFF),
    Job("slow", slow, max_tries=2, timeout=0.5, backoff=FAST_BACKOFF),
    Job("nap", nap, max_tries=1, timeout=60),
    Job("crash_once", crash_once, max_tries=3, timeout=300, backoff=FAST_BACKOFF),
]


class JobsPlugin:
    """Registers :data:`JOBS`."""

    @hookimpl
    def register_jobs(self) -> list[Job]:
        return JOBS


class CronPlugin:
    """Registers ``tick``, a cron job run every second."""

    @hookimpl
    def register_cron_jobs(self) -> list[CronJob]:
        return [CronJob("tick", tick, second=None, timeout=5)]


plugin = JobsPlugin()
