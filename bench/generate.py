"""Seeded data generator for benchmarks.

    python -m bench.generate --users 1000 --videos 10000 --events 0 --seed 1 \\
        --data-dir /tmp/nv-bench [--database-url postgresql://...]

The database is migrated first (every Piccolo app of the core and of the enabled
plugins), then rows are bulk-inserted table by table (:mod:`bench.writers`):
``executemany`` in large transactions on SQLite, ``COPY`` on PostgreSQL. The same
seed gives the same rows. What is inserted is defined in :mod:`bench.rows`; a kind of
row whose table does not exist yet is skipped, and the run says so.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from piccolo.table import Table

from bench.rows import (
    PASSWORD,
    STEPS,
    Context,
    GenerateError,
    Plan,
    Step,
    StepResult,
    is_creator,
)
from bench.writers import PostgresWriter, Shape, SQLiteWriter, Writer
from nichevid.db import DatabaseError
from nichevid.settings import ConfigError, Settings, load_settings

BATCH_ROWS = 5_000


def _say(message: str) -> None:
    print(message, flush=True)


async def _prepare(settings: Settings) -> dict[str, type[Table]]:
    """Migrate the database; return every table class of the registered apps by class name."""
    from nichevid.db import connect, disconnect, make_engine, migrate, piccolo_app_configs
    from nichevid.plugins import make_plugin_manager

    pm = make_plugin_manager(settings)
    app_configs = piccolo_app_configs(pm)
    engine = make_engine(settings.database_url)
    await connect(engine)
    try:
        names = await migrate(engine, app_configs)
    finally:
        await disconnect(engine)
    _say(f"migrated {len(names)} apps: {', '.join(names)}")
    return {t.__name__: t for app in app_configs for t in app.table_classes}


async def _open_writer(url: str) -> Writer:
    if url.startswith("sqlite:"):
        from nichevid.db import make_engine

        return SQLiteWriter(make_engine(url).connection_kwargs["database"])
    return await PostgresWriter.connect(url.replace("postgres://", "postgresql://", 1))


def _password_hash() -> str:
    from argon2 import PasswordHasher

    # One hash for every user: each can log in with PASSWORD, and hashing stays out of the loop.
    return PasswordHasher().hash(PASSWORD)


async def _run_step(
    step: Step, ctx: Context, writer: Writer, deadline: float, batch: int
) -> StepResult:
    assert step.rows is not None
    table = ctx.tables[step.table]
    shape = Shape(table, ctx.plan.anchor)
    total = step.count(ctx.plan)
    started = time.perf_counter()
    last_report = started
    done = 0
    convert: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None
    note = ""
    for first in range(1, total + 1, batch):
        last = min(total + 1, first + batch)
        dicts = list(step.rows(ctx, first, last))
        if convert is None:
            convert, dropped = shape.converter(dicts[0])
            if dropped:
                note = f"{shape.tablename} has no column {', '.join(dropped)}: left out"
                _say(f"  note: {note}")
        await writer.write(shape.tablename, shape.columns, [convert(d) for d in dicts])
        done += len(dicts)
        now = time.perf_counter()
        if now > deadline:
            raise GenerateError(
                f"time limit reached during {step.name} ({done:,}/{total:,} rows); "
                "raise --max-seconds or generate fewer rows"
            )
        if now - last_report >= 1.0:
            last_report = now
            _say(f"  {step.name}: {done:,}/{total:,} rows, {done / (now - started):,.0f} rows/s")
    return StepResult(step.name, shape.tablename, done, time.perf_counter() - started, note)


async def generate(
    plan: Plan,
    settings: Settings,
    *,
    reset: bool = False,
    max_seconds: float = 900.0,
    batch: int = BATCH_ROWS,
) -> list[StepResult]:
    """Migrate and fill the database of ``settings`` according to ``plan``.

    Raises:
        GenerateError: When a target table already holds rows (and ``reset`` is false), a
            table needs values the generator does not know, or the time limit is reached.
    """
    deadline = time.perf_counter() + max_seconds
    tables = await _prepare(settings)
    ctx = Context(
        plan=plan,
        password_hash=_password_hash(),
        creators=[i for i in range(1, plan.users + 1) if is_creator(i)],
        tables=tables,
    )
    writer = await _open_writer(settings.database_url)
    try:
        results: list[StepResult] = []
        runnable: list[Step] = []
        for step in STEPS:
            wanted = step.count(plan)
            table = tables.get(step.table)
            reason = ""
            if wanted <= 0:
                continue
            if table is None:
                reason = step.missing_note or f"no {step.table} table"
            elif not await writer.exists(table._meta.tablename):
                reason = f"{table._meta.tablename} is not in the database (no migration)"
            elif step.rows is None:
                reason = f"{step.table} exists but has no row function in bench/rows.py"
            if reason:
                results.append(
                    StepResult(step.name, "", 0, 0.0, f"skipped {wanted:,} {step.name}: {reason}")
                )
            else:
                runnable.append(step)
        if any(s.name == "videos" for s in runnable) and not ctx.creators:
            raise GenerateError("videos need at least one creator: generate at least 1 user")
        for step in reversed(runnable):
            name = tables[step.table]._meta.tablename
            if await writer.count(name):
                if not reset:
                    raise GenerateError(
                        f"table {name} already has rows: use an empty database "
                        "(a fresh --data-dir) or pass --reset"
                    )
                await writer.delete(name)
        for step in runnable:
            _say(
                f"{step.name}: {step.count(plan):,} rows into {tables[step.table]._meta.tablename}"
            )
            result = await _run_step(step, ctx, writer, deadline, batch)
            _say(
                f"{step.name}: {result.rows:,} rows in {result.seconds:.1f} s "
                f"({result.rate:,.0f} rows/s)"
            )
            results.append(result)
        await writer.finish([tables[s.table]._meta.tablename for s in runnable])
    finally:
        await writer.close()
    for result in results:
        if not result.rows and result.note:
            _say(f"note: {result.note}")
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=0, help="watch events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, required=True, help="created when missing")
    parser.add_argument(
        "--database-url",
        default="",
        help="postgresql://... (default: the SQLite file in the data directory)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete existing rows of the tables first"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=900.0, help="stop with an error after this"
    )
    parser.add_argument("--batch", type=int, default=BATCH_ROWS, help="rows per insert batch")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("users", "videos", "events"):
        if getattr(args, name) < 0:
            print(f"error: --{name} must not be negative", file=sys.stderr)
            return 2
    args.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        settings = load_settings(
            overrides={"data_dir": str(args.data_dir), "database": {"url": args.database_url}}
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    plan = Plan(users=args.users, videos=args.videos, events=args.events, seed=args.seed)
    started = time.perf_counter()
    try:
        results = asyncio.run(
            generate(
                plan, settings, reset=args.reset, max_seconds=args.max_seconds, batch=args.batch
            )
        )
    except (GenerateError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = sum(r.rows for r in results)
    elapsed = time.perf_counter() - started
    _say(f"done: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s overall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
