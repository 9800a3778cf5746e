"""Pytest plugin (``pytest11`` entry point): fixtures for the core and for plugin authors.

The shape under test comes from ``NICHEVID_TEST_SHAPE``:

* ``sqlite`` (default): an SQLite file, in-process jobs.
* ``postgres``: PostgreSQL and Redis started on 127.0.0.1 for the session, jobs run
  by a real arq worker.

Fixtures:

* ``nv_settings``: settings for a fresh data directory in the current shape;
  ``nv_settings_factory(**overrides)`` for variations.
* ``nv_app``: the Litestar app; ``nv_client``: an ``AsyncTestClient`` with the
  lifespan running; ``nv_resources``: the running app's resources.
* ``nv_run_jobs``: ``await nv_run_jobs()`` runs queued jobs to completion (a burst
  arq worker in the production shape, the in-process runner otherwise).
* ``nv_plugins``: a list; plugin objects appended before ``nv_app`` is created are
  registered on it.

Storage adapters subclass :class:`nichevid.testing.storage_contract.StorageContract` to
run the shared storage contract (see docs/storage.md).

Entry-point plugins are not loaded under pytest (``NICHEVID_LOAD_PLUGINS=""``);
mark a test ``@pytest.mark.nichevid_plugins("name", ...)`` to load named ones.
Set ``NICHEVID_TRACE_HOOKS=1`` to print every hook call.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nichevid.testing.servers import no_settings_file

SHAPE_ENV = "NICHEVID_TEST_SHAPE"

# Failed contract checks then show the compared values, in adapters' own test runs too.
pytest.register_assert_rewrite("nichevid.testing.storage_contract")


def shape() -> str:
    """``sqlite`` or ``postgres``."""
    value = os.environ.get(SHAPE_ENV, "sqlite")
    if value not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"{SHAPE_ENV} must be 'sqlite' or 'postgres', not {value!r}")
    return value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nichevid_plugins(*names): load these entry-point plugins")
    config.addinivalue_line("markers", "postgres_only: runs only in the production shape")
    config.addinivalue_line("markers", "sqlite_only: runs only in the embedded shape")
    os.environ.setdefault("NICHEVID_LOAD_PLUGINS", "")
    os.environ.setdefault("NICHEVID_LOG_FORMAT", "console")
    # Never the settings file of the folder the tests run from, nor one named outside.
    os.environ["NICHEVID_CONFIG"] = str(no_settings_file())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    current = shape()
    for item in items:
        if current == "sqlite" and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="production shape only"))
        if current == "postgres" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="embedded shape only"))


@pytest.fixture(scope="session")
def nv_services() -> Iterator[dict[str, str]]:
    """URLs of the shared database and Redis for this session (empty strings for SQLite)."""
    if shape() == "sqlite":
        yield {"database": "", "redis": ""}
        return
    from nichevid.testing.servers import start_postgres, start_redis

    started = []
    db_url = os.environ.get("NICHEVID_TEST_DATABASE_URL", "")
    redis_url = os.environ.get("NICHEVID_TEST_REDIS_URL", "")
    try:
        if not db_url:
            pg = start_postgres()
            started.append(pg)
            db_url = pg.url
        if not redis_url:
            redis = start_redis()
            started.append(redis)
            redis_url = redis.url
        yield {"database": db_url, "redis": redis_url}
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture(scope="session")
def nv_session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory for the session's shared SQLite file."""
    return tmp_path_factory.mktemp("nichevid-db")


@pytest.fixture(scope="session")
def nv_database_url(nv_services: dict[str, str], nv_session_dir: Path) -> str:
    """One database per session, migrated once; tests empty its tables after each case."""
    return nv_services["database"] or f"sqlite:///{nv_session_dir / 'test.sqlite3'}"


@pytest.fixture
def nv_settings_factory(
    tmp_path: Path, nv_services: dict[str, str], nv_database_url: str, _nv_migrated: bool
) -> Callable[..., Any]:
    """Build settings for this test: fresh data dir, the session's database (migrated, so
    an app built on them starts whatever ran before) and Redis."""
    from nichevid.settings import load_settings

    def make(**overrides: Any) -> Any:
        data_dir = tmp_path / "data"
        data_dir.mkdir(exist_ok=True)
        base: dict[str, Any] = {
            "data_dir": str(data_dir),
            "secret_key": "test-secret-key-not-for-production",
            "database": {"url": nv_database_url},
            "redis": {"url": nv_services["redis"]},
            "jobs": {"poll_interval": 0.05},
            # Videos a test makes are in For You at once, not after two seconds.
            "plugin": {"recommend": {"new_video_seconds": 0}},
        }
        for key, value in overrides.items():
            if key == "plugin" and isinstance(value, dict):
                sections = {**base["plugin"]}
                for name, section in value.items():
                    sections[name] = {**sections.get(name, {}), **section}
                base[key] = sections
            elif isinstance(value, dict) and isinstance(base.get(key), dict):
                base[key] = {**base[key], **value}
            else:
                base[key] = value
        return load_settings(no_settings_file(), environ={}, overrides=base)

    return make


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """Settings for a fresh instance in the current shape."""
    return nv_settings_factory()


@pytest.fixture
def nv_plugins() -> list[Any]:
    """Plugin objects to register on ``nv_app`` (append before requesting ``nv_app``)."""
    return []


@pytest.fixture
def nv_app(
    request: pytest.FixtureRequest,
    nv_settings: Any,
    nv_plugins: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """The Litestar application for ``nv_settings`` (lifespan not started)."""
    from nichevid.app import create_app

    marker = request.node.get_closest_marker("nichevid_plugins")
    if marker is not None:
        monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", ",".join(marker.args))
    return create_app(nv_settings, plugins=list(nv_plugins))


@pytest.fixture(scope="session")
async def _nv_migrated(nv_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> bool:
    from nichevid.db import connect, disconnect, make_engine, migrate, piccolo_app_configs
    from nichevid.plugins import make_plugin_manager
    from nichevid.settings import load_settings

    data_dir = tmp_path_factory.mktemp("nichevid-migrate")
    settings = load_settings(
        no_settings_file(),
        environ={},
        overrides={"data_dir": str(data_dir), "database": {"url": nv_database_url}},
    )
    engine = make_engine(nv_database_url)
    await connect(engine)
    # Every installed plugin's tables exist, so any plugin can be loaded by any test.
    os.environ["NICHEVID_LOAD_PLUGINS"] = ",".join(_installed_plugin_names())
    try:
        await migrate(engine, piccolo_app_configs(make_plugin_manager(settings)))
    finally:
        os.environ["NICHEVID_LOAD_PLUGINS"] = ""
        await disconnect(engine)
    return True


def _installed_plugin_names() -> list[str]:
    from nichevid.plugins import installed_entry_points

    return sorted(installed_entry_points())


@pytest.fixture
async def nv_client(nv_app: Any, _nv_migrated: bool) -> AsyncIterator[Any]:
    """An HTTP client on the app, lifespan running in the test's own event loop.

    Tests may call services directly between requests: they share the app's
    connection pool. Tables are emptied afterwards.
    """
    async with client_for(nv_app) as client:
        yield client


@contextlib.asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[Any]:
    """An ``httpx.AsyncClient`` on ``app`` with its lifespan running; tables emptied after."""
    import httpx

    async with running(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8000"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            try:
                yield client
            finally:
                await clear_resources(app.state.resources)


@contextlib.asynccontextmanager
async def running(app: Any) -> AsyncIterator[Any]:
    """Run ``app``'s lifespan in a task of the current loop until the block ends.

    The lifespan is entered and left in one task (anyio requires it), while the
    caller's code shares its loop, so direct service calls share the app's pools.
    """
    started = asyncio.Event()
    stop = asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    waiter = asyncio.create_task(started.wait())
    done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        error = task.exception()
        # Litestar runs start-up in a task group: raise the error itself, not its group.
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        if error is not None:
            raise error  # start-up failed: raise its error here
    try:
        yield app
    finally:
        stop.set()
        await task


async def clear_resources(resources: Any) -> None:
    """Empty every table and the Redis database of running resources."""
    from nichevid.db import clear_tables

    await clear_tables(resources.app_configs)
    if resources.redis is not None:
        await resources.redis.flushdb()


async def clear_instance(settings: Any) -> None:
    """Empty every table and the Redis database of the instance ``settings`` describe."""
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        await clear_resources(resources)
    finally:
        await close_resources(resources)


@pytest.fixture
def nv_resources(nv_client: Any) -> Any:
    """The running app's :class:`nichevid.runtime.Resources`."""
    return nv_client.app.state.resources


@pytest.fixture
def nv_run_jobs(nv_client: Any) -> Callable[..., Awaitable[None]]:
    """``await nv_run_jobs()`` runs every queued job to completion."""

    async def run(limit: float = 60.0) -> None:
        await run_jobs(nv_client.app, limit=limit)

    return run


async def run_jobs(app: Any, limit: float = 60.0) -> None:
    """Run queued jobs: a burst arq worker (production shape) or the in-process runner."""
    import asyncio

    from nichevid.jobs import LocalJobQueue, make_worker

    resources = app.state.resources
    if isinstance(resources.jobs, LocalJobQueue):
        await resources.jobs.run_until_idle(limit=limit)
        return
    worker = make_worker(resources.settings, burst=True, resources=resources)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=limit)
    finally:
        await worker.close()
