"""``nichevid privacy purge-due`` and ``prune-history``."""

from __future__ import annotations

from click.testing import CliRunner

from nichevid.cli import main


def test_purge_due_runs_and_refuses_a_bad_date(cli: CliRunner) -> None:
    result = cli.invoke(main, ["privacy", "purge-due"], obj={})
    assert result.exit_code == 0, result.output
    assert "0 account(s) erased, 0 postponed" in result.output
    result = cli.invoke(main, ["privacy", "purge-due", "--as-of", "2026-12-31T18:00"], obj={})
    assert result.exit_code == 0, result.output
    bad = cli.invoke(main, ["privacy", "purge-due", "--as-of", "next week"], obj={})
    assert bad.exit_code == 2
    assert "is not a date: write it as 2026-12-31" in bad.output


def test_prune_history_says_what_it_deleted(cli: CliRunner) -> None:
    result = cli.invoke(main, ["privacy", "prune-history"], obj={})
    assert result.exit_code == 0, result.output
    assert "0 watch event(s) deleted" in result.output
