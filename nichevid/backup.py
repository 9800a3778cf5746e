"""``nichevid backup``: a consistent copy of the database, on either shape.

SQLite (the embedded default) is copied with SQLite's online backup, so the instance
keeps serving while it runs and the copy is one moment of the database, checked with
``PRAGMA quick_check``. PostgreSQL is dumped with ``pg_dump`` in its custom format,
for ``pg_restore``. Either way the file appears whole or not at all: it is written
under a ``.part`` name and renamed. ``--keep-days`` deletes this command's own
earlier backups in the folder once they are older, never other files.

With the embedded default, the ``core.backup`` cron job does the same every night at
03:17 UTC and keeps ``backup.keep_days`` days of copies (:func:`nightly_job`).

Media files are not part of it: ``nichevid storage copy`` copies them to another
backend, or back up the data folder with the tools of the machine.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from nichevid.cli import UserError, friendly_errors, settings_from
from nichevid.db import sqlite_path
from nichevid.settings import Settings

log = logging.getLogger("nichevid.backup")

PREFIX = "nichevid-"
SUFFIXES = (".sqlite3", ".dump")
DUMP_TIMEOUT = 6 * 3600.0


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def backup_sqlite(url: str, target: Path) -> None:
    """Copy the SQLite database at ``url`` into ``target`` (online backup, then checked).

    Raises:
        UserError: No database file there, or the copy fails its check.
    """
    source_path = Path(sqlite_path(url))
    if not source_path.is_file():
        raise UserError(
            f"there is no database at {source_path}; check database.url, or run "
            "`nichevid migrate` to make one"
        )
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            # One step: one read transaction, so the copy is one moment of the database.
            # In WAL mode (nichevid.db) writers go on meanwhile; copied in several steps,
            # every write in between would start the copy again.
            source.backup(copy)
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if verdict != "ok":
        raise UserError(f"the copy of {source_path} failed its check ({verdict}); nothing kept")


def pg_dump_binary() -> str:
    """``pg_dump`` of the newest PostgreSQL installed, or the one on ``PATH``."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True):
        return candidate
    found = shutil.which("pg_dump")
    if found is None:
        raise UserError("pg_dump was not found: install it (apt-get install postgresql-client)")
    return found


def backup_postgres(url: str, target: Path) -> None:
    """Dump the PostgreSQL database at ``url`` into ``target`` (custom format).

    Raises:
        UserError: ``pg_dump`` is missing or fails (its first error line says why).
    """
    try:
        done = subprocess.run(
            [pg_dump_binary(), "--format=custom", "--no-owner", f"--file={target}", url],
            capture_output=True,
            text=True,
            timeout=DUMP_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"pg_dump took more than {DUMP_TIMEOUT / 3600:.0f} hours") from exc
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        errors = [line.removeprefix("pg_dump: error: ") for line in lines if "error" in line]
        why = (errors or lines or [f"exit {done.returncode}"])[0]
        raise UserError(f"pg_dump failed: {why}")


def prune(folder: Path, keep_days: float, now: float) -> list[Path]:
    """Delete this command's backups in ``folder`` older than ``keep_days``; which went."""
    gone = []
    for path in sorted(folder.glob(f"{PREFIX}*")):
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        if now - path.stat().st_mtime > keep_days * 86400:
            path.unlink()
            gone.append(path)
    return gone


def make_backup(settings: Settings, folder: Path, now: datetime | None = None) -> Path:
    """Write one backup of the instance's database into ``folder``; its path.

    Raises:
        UserError: The folder cannot be made or written, or the copy fails.
    """
    url = settings.database_url
    postgres = not url.startswith("sqlite")
    name = f"{PREFIX}{_stamp(now or datetime.now(UTC))}{'.dump' if postgres else '.sqlite3'}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        part = folder / f"{name}.part"
        part.unlink(missing_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write backups to {folder}: {exc.strerror or exc}") from exc
    if target.exists():
        raise UserError(f"{target} exists already; wait a second and run it again")
    try:
        if postgres:
            backup_postgres(url, part)
        else:
            backup_sqlite(url, part)
        part.rename(target)
    except OSError as exc:
        raise UserError(f"cannot write {part}: {exc.strerror or exc}") from exc
    finally:
        part.unlink(missing_ok=True)
    target.chmod(0o600)
    return target


JOB = "core.backup"


def backup_folder(settings: Settings) -> Path:
    """Where backups go unless told otherwise."""
    return Path(settings.backup.folder) if settings.backup.folder else settings.data_dir / "backups"


async def nightly_job(ctx: dict[str, Any]) -> None:
    """Cron job ``core.backup``: copy an SQLite database and drop copies past ``keep_days``."""
    settings: Settings = ctx["settings"]
    keep = settings.backup.keep_days
    if not keep or not settings.database_url.startswith("sqlite"):
        return
    folder = backup_folder(settings)
    target = await asyncio.to_thread(make_backup, settings, folder)
    gone = await asyncio.to_thread(prune, folder, keep, time.time())
    log.info("nightly backup %s written; %s older than %s days deleted", target, len(gone), keep)


@click.command("backup")
@click.option(
    "--out",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the backup (default: backup.folder, else <data_dir>/backups).",
)
@click.option(
    "--keep-days",
    type=click.FloatRange(min=0, min_open=True),
    help="Then delete this command's backups in the folder older than this many days.",
)
@click.pass_context
@friendly_errors
def backup_command(ctx: click.Context, folder: Path | None, keep_days: float | None) -> None:
    """Write a consistent copy of the database (SQLite or PostgreSQL) while the site runs."""
    settings = settings_from(ctx)
    folder = folder or backup_folder(settings)
    started = time.monotonic()
    target = make_backup(settings, folder)
    size = target.stat().st_size
    click.echo(f"wrote {target} ({size:,} bytes) in {time.monotonic() - started:.1f} s")
    if keep_days is not None:
        for path in prune(folder, keep_days, time.time()):
            click.echo(f"deleted {path} (older than {keep_days:g} days)")
