"""Bulk writers: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, and row dicts to tuples."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from piccolo.columns import JSON, JSONB, Serial, Timestamp, Timestamptz
from piccolo.table import Table

from bench.rows import GenerateError

# -- rows to tuples --------------------------------------------------------------------------

_MISSING = object()


class Shape:
    """A table's columns in order, their defaults, and conversion of row dicts to tuples."""

    def __init__(self, table: type[Table], anchor: datetime) -> None:
        self.tablename = table._meta.tablename
        self.columns: list[str] = []
        self.defaults: list[Any] = []
        self.json: set[str] = set()
        for column in table._meta.columns:
            name = column._meta.db_column_name
            self.columns.append(name)
            if isinstance(column, JSON | JSONB):
                self.json.add(name)
            if isinstance(column, Serial):
                default: Any = _MISSING
            elif isinstance(column, Timestamptz | Timestamp) and not column._meta.null:
                default = anchor
            else:
                try:
                    default = column.get_default_value()
                except Exception:
                    default = _MISSING
                if default is not None and not isinstance(default, str | int | float | bool):
                    default = _MISSING
            self.defaults.append(default)

    def converter(
        self, sample: dict[str, Any]
    ) -> tuple[Callable[[dict[str, Any]], tuple[Any, ...]], list[str]]:
        """A function turning row dicts like ``sample`` into tuples, and the keys it drops."""
        dropped = sorted(set(sample) - set(self.columns))
        lacking = [
            c
            for c, d in zip(self.columns, self.defaults, strict=True)
            if d is _MISSING and c not in sample
        ]
        if lacking:
            raise GenerateError(
                f"table {self.tablename}: no value and no default for {', '.join(lacking)}; "
                "teach its row function in bench/generate.py about these columns"
            )
        pairs = list(zip(self.columns, self.defaults, strict=True))
        json_cols = self.json

        def convert(row: dict[str, Any]) -> tuple[Any, ...]:
            out = []
            for name, default in pairs:
                value = row.get(name, default)
                if name in json_cols and not isinstance(value, str):
                    value = json.dumps(value)
                out.append(value)
            return tuple(out)

        return convert, dropped


class Writer(Protocol):
    async def exists(self, tablename: str) -> bool: ...

    async def count(self, tablename: str) -> int: ...

    async def delete(self, tablename: str) -> None: ...

    async def write(
        self, tablename: str, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> None: ...

    async def finish(self, tablenames: list[str]) -> None: ...

    async def close(self) -> None: ...


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SQLiteWriter:
    """``executemany`` in one transaction per batch, with durability off while loading."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-200000")

    async def exists(self, tablename: str) -> bool:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return self.conn.execute(query, (tablename,)).fetchone() is not None

    async def count(self, tablename: str) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {_quote(tablename)}").fetchone()[0])

    async def delete(self, tablename: str) -> None:
        with self.conn:
            self.conn.execute(f"DELETE FROM {_quote(tablename)}")

    async def write(self, tablename: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        cols = ", ".join(_quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        with self.conn:
            self.conn.executemany(
                f"INSERT INTO {_quote(tablename)} ({cols}) VALUES ({marks})", rows
            )

    async def finish(self, tablenames: list[str]) -> None:
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA synchronous=NORMAL")

    async def close(self) -> None:
        self.conn.close()


class PostgresWriter:
    """``COPY`` through asyncpg; serial sequences are moved past the inserted ids at the end."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, dsn: str) -> PostgresWriter:
        import asyncpg

        return cls(await asyncpg.connect(dsn))

    async def exists(self, tablename: str) -> bool:
        return bool(await self.conn.fetchval("SELECT to_regclass($1) IS NOT NULL", tablename))

    async def count(self, tablename: str) -> int:
        return int(await self.conn.fetchval(f"SELECT COUNT(*) FROM {_quote(tablename)}"))

    async def delete(self, tablename: str) -> None:
        await self.conn.execute(f"DELETE FROM {_quote(tablename)}")

    async def write(self, tablename: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        await self.conn.copy_records_to_table(tablename, records=rows, columns=columns)

    async def finish(self, tablenames: list[str]) -> None:
        for name in tablenames:
            await self.conn.execute(
                "SELECT setval(pg_get_serial_sequence($1, 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {_quote(name)}), false)",
                name,
            )
            await self.conn.execute(f"ANALYZE {_quote(name)}")

    async def close(self) -> None:
        await self.conn.close()
