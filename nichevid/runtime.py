"""Long-lived resources shared by the web app, the worker and CLI commands.

:func:`open_resources` connects the database, Redis (when configured), storage and
the job queue, in that order, and fails fast with a :class:`ResourceError` naming
what to fix; :func:`close_resources` releases them in reverse.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pluggy
from piccolo.conf.apps import AppConfig
from piccolo.engine.base import Engine

from nichevid.core.ratelimit import RateLimiter
from nichevid.db import configure, connect, disconnect, make_engine, piccolo_app_configs
from nichevid.jobs import ArqJobQueue, JobQueue, JobRegistry, LocalJobQueue, redis_settings
from nichevid.plugins import call_first
from nichevid.settings import Settings
from nichevid.storage import Storage


class ResourceError(Exception):
    """A backing service is unreachable; the message says which and what to check."""


@dataclass
class Resources:
    """Everything a request, a job or a command needs besides its arguments."""

    settings: Settings
    pm: pluggy.PluginManager
    engine: Engine
    app_configs: list[AppConfig]
    storage: Storage
    jobs: JobQueue
    limiter: RateLimiter
    redis: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def job_context(self) -> dict[str, Any]:
        """The ``ctx`` dict handed to every job."""
        return {
            "settings": self.settings,
            "pm": self.pm,
            "storage": self.storage,
            "jobs": self.jobs,
            "resources": self,
        }


async def connect_redis(settings: Settings) -> Any:
    """Connect to Redis and check it answers, within ``redis.connect_timeout`` seconds."""
    from redis.asyncio import Redis

    client = Redis.from_url(
        settings.redis.url,
        socket_connect_timeout=settings.redis.connect_timeout,
        socket_timeout=settings.redis.connect_timeout,
    )
    try:
        await asyncio.wait_for(client.ping(), timeout=settings.redis.connect_timeout + 1)
    except Exception as exc:
        await client.aclose()
        raise ResourceError(
            f"cannot reach Redis at {settings.redis.url}: {type(exc).__name__}: {exc}; "
            "start Redis or unset redis.url / NICHEVID_REDIS_URL for the embedded shape"
        ) from exc
    return client


async def open_resources(
    settings: Settings, pm: pluggy.PluginManager, *, start_jobs: bool = True
) -> Resources:
    """Connect everything, failing fast with a clear :class:`ResourceError`."""
    from nichevid.db import DatabaseError

    app_configs = piccolo_app_configs(pm)
    engine = make_engine(settings.database_url)
    configure(engine, app_configs)
    try:
        await connect(engine, settings.database.pool_size)
    except DatabaseError as exc:
        raise ResourceError(str(exc)) from exc
    redis = None
    try:
        registry = JobRegistry.from_plugins(pm)
        jobs: JobQueue
        if settings.uses_redis:
            from arq import create_pool

            redis = await connect_redis(settings)
            pool = await create_pool(
                redis_settings(settings.redis.url, settings.redis.connect_timeout),
                default_queue_name=settings.jobs.queue_name,
            )
            jobs = ArqJobQueue(registry, pool, settings.jobs.queue_name)
        else:
            jobs = LocalJobQueue(registry, settings.jobs.concurrency, settings.jobs.poll_interval)
        storage = await call_first(pm.hook.storage_backend, settings=settings)
        resources = Resources(
            settings=settings,
            pm=pm,
            engine=engine,
            app_configs=app_configs,
            storage=storage,
            jobs=jobs,
            limiter=RateLimiter(redis),
            redis=redis,
        )
        if start_jobs:
            await jobs.start(resources.job_context())
    except BaseException:
        if redis is not None:
            await redis.aclose()
        await disconnect(engine)
        raise
    return resources


async def close_resources(resources: Resources) -> None:
    """Release what :func:`open_resources` opened."""
    await resources.jobs.close()
    if resources.redis is not None:
        await resources.redis.aclose()
    await disconnect(resources.engine)
