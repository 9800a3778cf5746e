"""``nichevid backup``: a consistent copy of SQLite or a dump of PostgreSQL, and its refusals."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nichevid import backup
from nichevid.cli import UserError, main
from nichevid.settings import load_settings
from nichevid.testing.servers import free_port, no_settings_file


def users_in(path: Path) -> list[str]:
    with sqlite3.connect(path) as copy:
        return [row[0] for row in copy.execute("SELECT username FROM nv_user ORDER BY username")]


def test_an_sqlite_instance_is_copied_whole_while_it_runs(cli: CliRunner, tmp_path: Path) -> None:
    made = cli.invoke(
        main, ["user", "create", "ada", "--password-stdin"], input="a long passphrase\n", obj={}
    )
    assert made.exit_code == 0, made.output
    out = tmp_path / "kept"
    done = cli.invoke(main, ["backup", "--out", str(out)], obj={})
    assert done.exit_code == 0, done.output
    [copy] = out.iterdir()
    assert copy.name.startswith("nichevid-")
    assert copy.name.endswith("Z.sqlite3")
    assert f"wrote {copy}" in done.output
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert users_in(copy) == ["ada"]
    # The instance goes on: a later account is in the next copy, not in the first.
    cli.invoke(main, ["user", "create", "bob", "--password-stdin"], input="another one\n", obj={})
    later = tmp_path / "later"
    assert cli.invoke(main, ["backup", "--out", str(later)], obj={}).exit_code == 0
    assert users_in(next(later.iterdir())) == ["ada", "bob"]
    assert users_in(copy) == ["ada"]


def test_writes_during_the_copy_neither_stop_nor_tear_it(cli: CliRunner, tmp_path: Path) -> None:
    database = Path(cli.env["NICHEVID_DATABASE_URL"] or "").name
    path = Path(cli.env["NICHEVID_DATA_DIR"] or "") / database
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            db.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER, pad TEXT)")
            n = 0
            while not stop.is_set():
                n += 1
                db.execute("INSERT INTO scratch VALUES (?, ?)", (n, "x" * 2000))
                db.commit()
                written.append(n)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 200:
            time.sleep(0.01)
        done = cli.invoke(main, ["backup", "--out", str(tmp_path / "out")], obj={})
    finally:
        stop.set()
        writer.join()
    assert done.exit_code == 0, done.output
    [copy] = (tmp_path / "out").iterdir()
    with contextlib.closing(sqlite3.connect(copy)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count, top = db.execute("SELECT count(*), max(n) FROM scratch").fetchone()
    # One moment of the database: every row up to the last one copied, none torn.
    assert count == top
    assert 200 <= top <= written[-1]


def test_the_default_folder_is_in_the_data_folder(cli: CliRunner) -> None:
    done = cli.invoke(main, ["backup"], obj={})
    assert done.exit_code == 0, done.output
    folder = Path(cli.env["NICHEVID_DATA_DIR"] or "") / "backups"
    assert [p.suffix for p in folder.iterdir()] == [".sqlite3"]


def test_keep_days_deletes_only_its_own_old_backups(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "kept"
    out.mkdir()
    month_ago = time.time() - 30 * 86400
    old = {
        name: out / name
        for name in (
            "nichevid-20201101T031700Z.sqlite3",
            "nichevid-20201101T031700Z.dump",
            "nichevid-notes.txt",
            "other.sqlite3",
        )
    }
    for path in old.values():
        path.write_text("x")
        os.utime(path, (month_ago, month_ago))
    recent = out / "nichevid-20261201T031700Z.sqlite3"
    recent.write_text("x")
    done = cli.invoke(main, ["backup", "--out", str(out), "--keep-days", "7"], obj={})
    assert done.exit_code == 0, done.output
    left = sorted(p.name for p in out.iterdir())
    assert "nichevid-20201101T031700Z.sqlite3" not in left
    assert "nichevid-20201101T031700Z.dump" not in left
    assert {"nichevid-notes.txt", "other.sqlite3", recent.name} <= set(left)
    assert len(left) == 4  # with the new one
    assert done.output.count("deleted ") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep-days", "0"], "--keep-days"),
        (["--keep-days", "soon"], "--keep-days"),
    ],
)
def test_bad_options_are_refused(cli: CliRunner, args: list[str], message: str) -> None:
    done = cli.invoke(main, ["backup", *args], obj={})
    assert done.exit_code == 2
    assert message in done.output


def test_a_folder_that_cannot_be_made_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = cli.invoke(main, ["backup", "--out", str(blocker / "inside")], obj={})
    assert done.exit_code == 2
    assert f"cannot write backups to {blocker / 'inside'}" in done.output
    assert blocker.read_text() == "not a folder"


def test_no_database_file_says_how_to_make_one(tmp_path: Path) -> None:
    runner = CliRunner(
        env={
            "NICHEVID_DATA_DIR": str(tmp_path),
            "NICHEVID_DATABASE_URL": f"sqlite:///{tmp_path / 'missing.sqlite3'}",
            "NICHEVID_REDIS_URL": "",
            "NICHEVID_CONFIG": str(no_settings_file()),
        }
    )
    done = runner.invoke(main, ["backup", "--out", str(tmp_path / "out")], obj={})
    assert done.exit_code == 2
    assert "there is no database at" in done.output
    assert "nichevid migrate" in done.output
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failing_dump_leaves_nothing_behind(tmp_path: Path) -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nichevid"
    settings = load_settings(
        None,
        environ={"NICHEVID_DATA_DIR": str(tmp_path), "NICHEVID_DATABASE_URL": url},
    )
    refused = r"pg_dump failed: connection to server at \"127\.0\.0\.1\".*refused"
    with pytest.raises(UserError, match=refused):
        backup.make_backup(settings, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.postgres_only
@pytest.mark.usefixtures("_nv_migrated")
def test_a_postgres_instance_is_dumped_for_pg_restore(nv_settings: Any, tmp_path: Path) -> None:
    when = datetime(2026, 12, 6, 3, 17, tzinfo=UTC)
    out = tmp_path / "out"
    dumped = backup.make_backup(nv_settings, out, now=when)
    assert dumped == out / "nichevid-20261206T031700Z.dump"
    assert stat.S_IMODE(dumped.stat().st_mode) == 0o600
    listing = subprocess.run(
        [backup.pg_dump_binary().replace("pg_dump", "pg_restore"), "--list", str(dumped)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "TABLE public nv_user" in listing
    assert "TABLE public nv_video" in listing
    with pytest.raises(UserError, match="exists already"):
        backup.make_backup(nv_settings, out, now=when)
    assert [p.name for p in out.iterdir()] == [dumped.name]


def _settings(cli: CliRunner, **extra: str) -> Any:
    environ = {k: v for k, v in cli.env.items() if v is not None}
    return load_settings(None, environ={**environ, **extra})


def test_the_nightly_job_copies_sqlite_and_keeps_the_days_asked(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "nightly"
    folder.mkdir()
    old = folder / "nichevid-20201101T031700Z.sqlite3"
    old.write_text("x")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    settings = _settings(cli, NICHEVID_BACKUP__FOLDER=str(folder), NICHEVID_BACKUP__KEEP_DAYS="14")
    asyncio.run(backup.nightly_job({"settings": settings}))
    [copy] = folder.iterdir()
    assert copy.suffix == ".sqlite3"
    assert copy != old
    # The command's default folder is the same setting (a second later: names are by second).
    time.sleep(1.05)
    done = cli.invoke(main, ["backup"], obj={}, env={"NICHEVID_BACKUP__FOLDER": str(folder)})
    assert done.exit_code == 0, done.output
    assert len(list(folder.iterdir())) == 2


def test_the_nightly_job_is_off_at_zero_days_and_with_postgres(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "nightly"
    off = _settings(cli, NICHEVID_BACKUP__FOLDER=str(folder), NICHEVID_BACKUP__KEEP_DAYS="0")
    asyncio.run(backup.nightly_job({"settings": off}))
    # PostgreSQL is the deployment's to dump: the job neither dumps nor fails.
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nichevid"
    postgres = _settings(cli, NICHEVID_BACKUP__FOLDER=str(folder), NICHEVID_DATABASE_URL=url)
    asyncio.run(backup.nightly_job({"settings": postgres}))
    assert not folder.exists()


@pytest.mark.parametrize("days", ["-1", "3651", "soon"])
def test_bad_keep_days_settings_are_refused(cli: CliRunner, days: str) -> None:
    done = cli.invoke(main, ["backup"], obj={}, env={"NICHEVID_BACKUP__KEEP_DAYS": days})
    assert done.exit_code == 2
    assert "backup.keep_days" in done.output


def test_a_backup_folder_setting_that_is_a_file_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    done = cli.invoke(main, ["backup"], obj={}, env={"NICHEVID_BACKUP__FOLDER": str(taken)})
    assert done.exit_code == 2
    assert f"cannot write backups to {taken}" in done.output
    assert taken.read_text() == "keep me"
    settings = _settings(cli, NICHEVID_BACKUP__FOLDER=str(taken))
    with pytest.raises(UserError, match="cannot write backups"):
        asyncio.run(backup.nightly_job({"settings": settings}))
    assert taken.read_text() == "keep me"
