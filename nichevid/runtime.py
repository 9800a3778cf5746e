"""Long-lived resources shared by the web app, the worker and CLI commands.

:func:`open_resources` connects the database, Redis (when configured), storage
(checked: an unreachable bucket stops it too) and the job queue, in that order,
and fails fast with a :class:`ResourceError` naming what to fix;
:func:`close_resources` releases them in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import pluggy
from piccolo.conf.apps import AppConfig
from piccolo.engine.base import Engine

from nichevid.core.ratelimit import RateLimiter
from nichevid.db import configure, connect, disconnect, make_engine, piccolo_app_configs
from nichevid.jobs import ArqJobQueue, JobQueue, JobRegistry, LocalJobQueue, redis_settings
from nichevid.plugins import call_first
from nichevid.settings import Settings, redact_url
from nichevid.storage import Storage, StorageError

# Seconds to wait for the database before giving up (PostgreSQL has its own 5 s connect timeout).
DATABASE_CONNECT_TIMEOUT = 15.0
# Seconds to wait for the media storage's check (an object store across the network).
STORAGE_CHECK_TIMEOUT = 20.0


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
    """Connect to Redis and check it answers, within ``redis.connect_timeout`` seconds.

    Raises:
        ResourceError: When Redis does not answer in time, naming the URL to check.
    """
    from redis.asyncio import Redis

    client = Redis.from_url(
        settings.redis.url,
        socket_connect_timeout=settings.redis.connect_timeout,
        socket_timeout=settings.redis.connect_timeout,
    )
    try:
        await asyncio.wait_for(client.ping(), timeout=settings.redis.connect_timeout + 1)
    except Exception as exc:
        with contextlib.suppress(Exception):
            await client.aclose()
        raise ResourceError(
            f"cannot reach Redis at {redact_url(settings.redis.url)}: {_reason(exc)}; "
            "start Redis or unset redis.url / NICHEVID_REDIS_URL for the embedded shape"
        ) from exc
    return client


def engine_for(settings: Settings) -> Engine:
    """The database engine of ``settings``, with its read replicas (``database.replica_urls``)."""
    database = settings.database
    return make_engine(
        settings.database_url, database.replica_urls, database.replica_max_lag_seconds
    )


async def connect_database(settings: Settings, engine: Engine) -> None:
    """Open the database and check it answers, within a bounded time.

    Raises:
        ResourceError: When the database cannot be used, naming the URL to check.
    """
    from nichevid.db import DatabaseError

    try:
        await asyncio.wait_for(
            connect(engine, settings.database.pool_size), timeout=DATABASE_CONNECT_TIMEOUT
        )
    except DatabaseError as exc:
        raise ResourceError(str(exc)) from exc
    except Exception as exc:
        with contextlib.suppress(Exception):
            await disconnect(engine)
        raise ResourceError(
            f"cannot open the database at {redact_url(settings.database_url)}: {_reason(exc)}; "
            "check database.url / NICHEVID_DATABASE_URL"
        ) from exc


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, TimeoutError) and not text:
        return "no answer in time"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def check_storage(storage: Storage) -> None:
    """Check that the media storage can be used, within a bounded time.

    Raises:
        ResourceError: Saying what the backend answered, and so what to fix.
    """
    try:
        await asyncio.wait_for(storage.check(), timeout=STORAGE_CHECK_TIMEOUT)
        await asyncio.wait_for(storage.check_writable(), timeout=STORAGE_CHECK_TIMEOUT)
    except Exception as exc:
        with contextlib.suppress(Exception):
            await storage.close()
        reason = str(exc) if isinstance(exc, StorageError) else _reason(exc)
        raise ResourceError(f"the {storage.name} media storage cannot be used: {reason}") from exc


async def check_services(settings: Settings) -> None:
    """Check that the database, Redis (when configured) and the media storage answer.

    Commands call this before they start long-running servers, so that a service that
    is down stops them with one clear line instead of a traceback.

    Raises:
        ResourceError: Naming the service that does not answer.
    """
    engine = engine_for(settings)
    await connect_database(settings, engine)
    await disconnect(engine)
    if settings.uses_redis:
        client = await connect_redis(settings)
        await client.aclose()
    from nichevid.plugins import make_plugin_manager

    storage = await call_first(
        make_plugin_manager(settings).hook.storage_backend, settings=settings
    )
    await check_storage(storage)
    await storage.close()


async def open_resources(
    settings: Settings, pm: pluggy.PluginManager, *, start_jobs: bool = True
) -> Resources:
    """Connect everything, failing fast with a clear :class:`ResourceError`.

    Args:
        settings: The instance settings.
        pm: The plugin manager (tables, jobs, storage).
        start_jobs: Start the in-process job runner (the web app does; commands and
            arq workers do not).

    Raises:
        ResourceError: When the database or Redis cannot be reached.
    """
    app_configs = piccolo_app_configs(pm)
    engine = engine_for(settings)
    configure(engine, app_configs)
    await connect_database(settings, engine)
    redis = None
    jobs: JobQueue | None = None
    try:
        registry = JobRegistry.from_plugins(pm)
        if settings.uses_redis:
            from arq import create_pool

            redis = await connect_redis(settings)
            try:
                pool = await create_pool(
                    redis_settings(settings.redis.url, settings.redis.connect_timeout),
                    default_queue_name=settings.jobs.queue_name,
                )
            except Exception as exc:
                raise ResourceError(
                    f"cannot reach Redis at {redact_url(settings.redis.url)}: {_reason(exc)}"
                ) from exc
            jobs = ArqJobQueue(registry, pool, settings.jobs.queue_name)
        else:
            jobs = LocalJobQueue(
                registry,
                concurrency=settings.jobs.concurrency,
                poll_interval=settings.jobs.poll_interval,
                lease=settings.jobs.lease,
            )
        storage = await call_first(pm.hook.storage_backend, settings=settings)
        await check_storage(storage)
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
        if jobs is not None:
            await jobs.close()
        if redis is not None:
            await redis.aclose()
        await disconnect(engine)
        raise
    return resources


async def close_resources(resources: Resources) -> None:
    """Release what :func:`open_resources` opened."""
    await resources.jobs.close()
    await resources.storage.close()
    if resources.redis is not None:
        await resources.redis.aclose()
    await disconnect(resources.engine)
