"""``nichevid ledger check``: exit 0 on sound books, 1 naming what is wrong, and ``--json``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from nichevid.cli import main


def _database(cli: CliRunner) -> Path:
    return Path(cli.env["NICHEVID_DATABASE_URL"].removeprefix("sqlite:///"))  # type: ignore[union-attr]


def _books(cli: CliRunner, *, corrupt: bool) -> None:
    """A top-up of 100 coins; ``corrupt`` adds a one-legged transaction and a stale balance."""
    with sqlite3.connect(_database(cli)) as db:
        db.executemany(
            "INSERT INTO nv_ledger_account (id, key, kind, owner, unit, balance, may_go_negative) "
            "VALUES (?, ?, ?, ?, 'coins', ?, ?)",
            [
                (1, "issuance::coins", "issuance", "", -100, 1),
                (2, "wallet:7:coins", "wallet", "7", 100, 0),
            ],
        )
        db.execute(
            "INSERT INTO nv_ledger_transaction (id, idempotency_key, fingerprint, kind, reference) "
            "VALUES (1, 'k1', 'f', 'top_up', '')"
        )
        db.executemany(
            "INSERT INTO nv_ledger_entry (txn, account, unit, amount) VALUES (?, ?, 'coins', ?)",
            [(1, 1, -100), (1, 2, 100)],
        )
        if corrupt:
            db.execute(
                "INSERT INTO nv_ledger_transaction (id, idempotency_key, fingerprint, kind, "
                "reference) VALUES (2, 'k2', 'f', 'top_up', '')"
            )
            db.execute(
                "INSERT INTO nv_ledger_entry (txn, account, unit, amount) VALUES (2, 2, 'coins', 5)"
            )


def test_ledger_check_passes_on_sound_books(cli: CliRunner) -> None:
    _books(cli, corrupt=False)
    result = cli.invoke(main, ["ledger", "check"], obj={})
    assert result.exit_code == 0, result.output
    assert "1 transactions, 2 accounts" in result.output
    assert "ok: the ledger balances" in result.output
    as_json = cli.invoke(main, ["ledger", "check", "--json"], obj={})
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert report["ok"] is True
    assert {"kind": "wallet", "unit": "coins", "total": 100, "accounts": 1} in report["totals"]


def test_ledger_check_names_what_is_wrong(cli: CliRunner) -> None:
    _books(cli, corrupt=True)
    result = cli.invoke(main, ["ledger", "check"], obj={})
    assert result.exit_code == 1
    assert "transactions that do not sum to zero: 2" in result.stderr
    assert "transactions with fewer than two entries: 2" in result.stderr
    assert "accounts whose balance differs from their entries: wallet:7:coins" in result.stderr
    assert "FAILED" in result.stderr
    as_json = cli.invoke(main, ["ledger", "check", "--json"], obj={})
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["unbalanced"] == [2]
    assert report["short"] == [2]
    assert report["stale_balances"] == ["wallet:7:coins"]


def test_ledger_check_reports_negative_wallets(cli: CliRunner) -> None:
    with sqlite3.connect(_database(cli)) as db:
        db.execute(
            "INSERT INTO nv_ledger_account (key, kind, owner, unit, balance, may_go_negative) "
            "VALUES ('wallet:7:coins', 'wallet', '7', 'coins', -1, 0)"
        )
    result = cli.invoke(main, ["ledger", "check", "--json"], obj={})
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["negative"] == ["wallet:7:coins"]
    assert report["stale_balances"] == ["wallet:7:coins"]
