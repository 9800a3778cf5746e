"""Database engines, table binding and migrations (Piccolo, SQLite or PostgreSQL)."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiosqlite
import pluggy
from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig, AppRegistry, Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.table import Table

from nichevid.plugins import collect_lists
from nichevid.replicas import Replicas

os.environ.setdefault("PICCOLO_CONF", "nichevid.piccolo_conf")


class DatabaseError(Exception):
    """The database cannot be used; the message says what to fix."""


class PrimaryEngine(PostgresEngine):
    """The PostgreSQL primary; its read replicas are extra nodes (:mod:`nichevid.replicas`)."""

    replicas: Replicas | None = None


def sqlite_path(url: str) -> str:
    """The file a ``sqlite:///`` URL names, as the engine opens it."""
    path = urlsplit(url).path
    # sqlite:///relative.db -> "relative.db"; sqlite:////abs.db -> "/abs.db"
    if url.startswith("sqlite:////") or (url.startswith("sqlite:///") and path.startswith("//")):
        path = "/" + path.lstrip("/")
    return path


def make_engine(url: str, replica_urls: Sequence[str] = (), max_lag: float = 30.0) -> Engine:
    """Build a Piccolo engine from ``sqlite:///path`` or ``postgresql://...``.

    ``replica_urls`` (PostgreSQL only) become extra nodes ``replica1``, ``replica2``...
    that :func:`nichevid.replicas.read` sends reads to while they keep up within
    ``max_lag`` seconds.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return ReusingSQLiteEngine(path=sqlite_path(url), timeout=30, check_same_thread=False)
    if parts.scheme in ("postgres", "postgresql"):
        urls = {f"replica{n}": _dsn(replica) for n, replica in enumerate(replica_urls, 1)}
        nodes = {
            name: PostgresEngine(config={"dsn": dsn}, extensions=()) for name, dsn in urls.items()
        }
        engine = PrimaryEngine(config={"dsn": _dsn(url)}, extensions=(), extra_nodes=nodes)
        if nodes:
            engine.replicas = Replicas(nodes, urls, max_lag)
        return engine
    raise DatabaseError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


class ReusingSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping its connections open between queries.

    Piccolo opens a new aiosqlite connection, and with it a new thread, for every
    query outside a transaction, and closes both afterwards; on a page with one fast
    query that costs several times the query itself. Between :meth:`start_connection_pool`
    and :meth:`close_connection_pool` (what :func:`connect` and :func:`disconnect` call)
    this engine keeps up to ``max_idle`` connections open and gives each query one of
    them to itself, so a query runs exactly as before: foreign keys on, one statement,
    committed. Transactions still get a connection of their own.
    """

    def __init__(self, *args: Any, max_idle: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_idle = max_idle
        self._idle: list[aiosqlite.Connection] | None = None

    async def start_connection_pool(self, max_size: int | None = None, **_: Any) -> None:
        if max_size is not None:
            self.max_idle = max_size
        if self._idle is None:
            self._idle = []

    async def close_connection_pool(self) -> None:
        idle, self._idle = self._idle or [], None
        for connection in idle:
            await connection.close()

    async def _open(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # A forgotten close_connection_pool() must not keep the interpreter from exiting.
        thread = getattr(connection, "_thread", None)
        if thread is not None:
            thread.daemon = True
        await connection
        await connection.execute("PRAGMA foreign_keys = 1")
        connection.row_factory = dict_factory  # type: ignore[assignment]
        return connection

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        idle = self._idle
        if idle is None or (query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = idle.pop() if idle else await self._open()
        try:
            # One trip to the connection's thread for a read; a write commits in a second.
            rows = await connection.execute_fetchall(query, args or [])
            if connection.in_transaction:
                await connection.commit()
        except BaseException:
            # The connection may be mid-statement; never hand it to another query.
            await connection.close()
            raise
        if self._idle is idle and len(idle) < self.max_idle:
            idle.append(connection)
        else:
            await connection.close()
        return rows


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine is the embedded SQLite default."""
    return isinstance(engine, SQLiteEngine)


def utc_day_sql(column: str, engine: Engine) -> str:
    """SQL giving the UTC day (``YYYY-MM-DD`` text) of the timestamp ``column``."""
    if is_sqlite(engine):
        # Piccolo keeps SQLite timestamps as ISO text in UTC.
        return f"substr({column}, 1, 10)"
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def writing(table: type[Table]) -> Any:
    """A write transaction on ``table``'s database that other writers wait for.

    SQLite takes its write lock at the start (``BEGIN IMMEDIATE``), so a transaction
    that reads, then writes, queues behind another writer instead of failing with
    "database is locked" half-way; PostgreSQL locks what it writes as it goes.
    """
    db = table._meta.db
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def prepare_sqlite(engine: Engine) -> None:
    """Switch an SQLite file to WAL so readers never block the writer."""
    if not isinstance(engine, SQLiteEngine):
        return
    path = engine.connection_kwargs["database"]
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")


def piccolo_app_configs(pm: pluggy.PluginManager) -> list[AppConfig]:
    """Every Piccolo app registered by the core and the enabled plugins, dependencies first."""
    registry = AppRegistry(apps=list(dict.fromkeys(collect_lists(pm.hook.register_piccolo_apps))))
    return Finder().sort_app_configs(list(registry.app_configs.values()))


def all_tables(app_configs: list[AppConfig]) -> list[type[Table]]:
    """The table classes of the given apps, plus Piccolo's migration table."""
    tables: list[type[Table]] = [Migration]
    for app in app_configs:
        tables.extend(app.table_classes)
    return tables


def configure(engine: Engine, app_configs: list[AppConfig]) -> None:
    """Point every table and Piccolo's migration machinery at ``engine``."""
    from nichevid import piccolo_conf

    piccolo_conf.DB = engine
    piccolo_conf.APP_REGISTRY = AppRegistry(apps=[_module_of(app) for app in app_configs])
    for table in all_tables(app_configs):
        table._meta.db = engine


def _module_of(app: AppConfig) -> str:
    import sys

    # A copy taken in one step: iterating the live mapping fails when another thread
    # (or a finaliser the garbage collector runs meanwhile) imports a module.
    for name, module in sys.modules.copy().items():
        if getattr(module, "APP_CONFIG", None) is app:
            return name
    raise DatabaseError(f"Piccolo app {app.app_name!r} is not defined in an importable module")


async def connect(engine: Engine, pool_size: int = 10) -> None:
    """Open the connection pool and check that the database answers.

    Raises:
        DatabaseError: When the database cannot be reached, naming the URL to fix.
    """
    if isinstance(engine, PostgresEngine):
        try:
            await engine.start_connection_pool(min_size=1, max_size=pool_size, timeout=5)
            for node in engine.extra_nodes.values():
                # No connection yet: a replica that is down never stops start-up.
                await node.start_connection_pool(min_size=0, max_size=pool_size, timeout=5)
        except Exception as exc:
            raise DatabaseError(
                f"cannot reach PostgreSQL: {type(exc).__name__}: {exc}; "
                "check database.url / NICHEVID_DATABASE_URL and that the server is running"
            ) from exc
    else:
        prepare_sqlite(engine)
        if isinstance(engine, ReusingSQLiteEngine):
            await engine.start_connection_pool(max_size=pool_size)
    await ping(engine)


async def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raise :class:`DatabaseError` when the database does not answer."""
    try:
        await engine.run_ddl("SELECT 1")
    except Exception as exc:
        raise DatabaseError(f"database does not answer: {type(exc).__name__}: {exc}") from exc


async def disconnect(engine: Engine) -> None:
    """Close the connection pool, if any."""
    if isinstance(engine, PostgresEngine):
        for node in engine.extra_nodes.values():
            if node.pool is not None:
                await node.close_connection_pool()
    if isinstance(engine, PostgresEngine | ReusingSQLiteEngine):
        await engine.close_connection_pool()


async def migrate(
    engine: Engine,
    app_configs: list[AppConfig],
    progress: Callable[[str], Any] | None = None,
) -> list[str]:
    """Run every pending migration of every app; safe to run again (idempotent).

    Returns:
        The names of the apps whose migrations were checked, in dependency order.
    """
    configure(engine, app_configs)
    await Migration.create_table(if_not_exists=True).run()
    names = [app.app_name for app in app_configs]
    for name in names:
        if progress:
            progress(name)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = await ForwardsMigrationManager(app_name=name, migration_id="all").run()
        if not result.success:
            raise DatabaseError(f"migrations of {name!r} failed: {result.message}")
    return names


async def clear_tables(app_configs: list[AppConfig]) -> None:
    """Delete every row of every app table (tests use this between cases).

    A table the database guards against deletion (an append-only log) empties itself
    with its own async ``empty_for_tests()`` classmethod.
    """
    for app in reversed(app_configs):
        for table in reversed(app.table_classes):
            empty = getattr(table, "empty_for_tests", None)
            if empty is not None:
                await empty()
            else:
                await table.delete(force=True).run()


def json_default(obj: Any) -> Any:  # pragma: no cover - used by callers serialising rows
    raise TypeError(type(obj).__name__)
