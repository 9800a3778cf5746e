"""The embedded shape's SQLite engine keeps connections open between queries."""

import asyncio
from pathlib import Path

import pytest

from nichevid.db import ReusingSQLiteEngine, connect, disconnect, make_engine


def _engine(tmp_path: Path) -> ReusingSQLiteEngine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert isinstance(engine, ReusingSQLiteEngine)
    return engine


async def test_queries_reuse_connections_and_commit(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    await connect(engine)
    try:
        await engine.run_ddl("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        await asyncio.gather(
            *(engine.run_ddl(f"INSERT INTO t (v) VALUES ('{i}')") for i in range(20))
        )
        rows = await engine.run_ddl("SELECT COUNT(*) AS n FROM t")
        assert rows == [{"n": 20}]
        assert engine._idle is not None
        assert 1 <= len(engine._idle) <= engine.max_idle
        # Committed: another engine (its own connections) sees every row.
        other = _engine(tmp_path)
        assert await other.run_ddl("SELECT COUNT(*) AS n FROM t") == [{"n": 20}]
        assert (await engine.run_ddl("PRAGMA foreign_keys"))[0]["foreign_keys"] == 1
    finally:
        await disconnect(engine)
    assert engine._idle is None


async def test_a_failing_query_does_not_return_its_connection(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    await connect(engine)
    try:
        await engine.run_ddl("SELECT 1")
        idle = list(engine._idle or [])
        with pytest.raises(Exception, match="no such table"):
            await engine.run_ddl("SELECT * FROM missing")
        assert engine._idle is not None
        assert len(engine._idle) == len(idle) - 1
        assert await engine.run_ddl("SELECT 2 AS x") == [{"x": 2}]
    finally:
        await disconnect(engine)


async def test_without_connect_each_query_opens_its_own_connection(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert await engine.run_ddl("SELECT 3 AS x") == [{"x": 3}]
    assert engine._idle is None
