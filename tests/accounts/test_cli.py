"""``nichevid user ...`` against a fresh SQLite database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nichevid.cli import main

PASSWORD = "operator passphrase"


def run(cli: CliRunner, *args: str, input: str | None = None) -> tuple[int, str]:
    result = cli.invoke(main, list(args), input=input, obj={})
    return result.exit_code, result.output


def test_user_create_from_stdin_and_list(cli: CliRunner) -> None:
    code, out = run(
        cli,
        "user",
        "create",
        "admin",
        "--email",
        "Admin@Example.org",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert code == 0, out
    assert "created admin (admin)" in out
    code, out = run(cli, "user", "list")
    assert code == 0
    assert "admin\tadmin\tadmin@example.org" in out


def test_user_create_prompts_twice_when_not_on_stdin(cli: CliRunner) -> None:
    code, out = run(cli, "user", "create", "carol", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, out
    assert PASSWORD not in out
    assert "created carol (member)" in out
    code, out = run(cli, "user", "list")
    assert "carol@users.invalid" in out


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--password-stdin"], "short\n", "at least"),
        (["--password-stdin"], "\n", "no password"),
        (["--password-stdin", "--email", "nope"], PASSWORD + "\n", "valid e-mail"),
        (["--password-stdin", "--role", "emperor"], PASSWORD + "\n", "Invalid value"),
    ],
)
def test_user_create_errors(cli: CliRunner, args: list[str], stdin: str, message: str) -> None:
    code, out = run(cli, "user", "create", "dave", *args, input=stdin)
    assert code == 2
    assert message in out


def test_duplicate_user_is_one_error_line(cli: CliRunner) -> None:
    run(cli, "user", "create", "erin", "--password-stdin", input=PASSWORD + "\n")
    code, out = run(cli, "user", "create", "ERIN", "--password-stdin", input=PASSWORD + "\n")
    assert code == 2
    assert out.strip() == "error: That username is taken."


def test_token_and_set_role(cli: CliRunner) -> None:
    run(cli, "user", "create", "frank", "--password-stdin", input=PASSWORD + "\n")
    code, out = run(cli, "user", "token", "frank", "--name", "uploader")
    assert code == 0, out
    token = out.strip()
    assert token.startswith("nv_")
    assert len(token) > 30
    code, out = run(cli, "user", "set-role", "FRANK", "creator")
    assert code == 0, out
    assert "frank is now creator" in out
    code, out = run(cli, "user", "list")
    assert "frank\tcreator" in out


def test_unknown_user_is_one_error_line(cli: CliRunner) -> None:
    for args in (["token", "ghost"], ["set-role", "ghost", "admin"], ["two-factor-off", "ghost"]):
        code, out = run(cli, "user", *args)
        assert code == 2
        assert out.startswith("error: no user named 'ghost'")
        assert len(out.strip().splitlines()) == 1


def test_two_factor_off_for_a_member_who_lost_their_phone(cli: CliRunner) -> None:
    import sqlite3

    run(cli, "user", "create", "gina", "--password-stdin", input=PASSWORD + "\n")
    code, out = run(cli, "user", "two-factor-off", "gina")
    assert code == 0, out
    assert "gina had no two-factor authentication on; nothing changed" in out
    database = cli.env["NICHEVID_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        (gina,) = db.execute("SELECT id FROM nv_user WHERE username = 'gina'").fetchone()
        db.execute(
            "INSERT INTO nv_two_factor (user, secret, enabled_at, last_step, created_at)"
            " VALUES (?, 'sealed', '2026-12-01 00:00:00+00:00', 0, '2026-12-01 00:00:00+00:00')",
            (gina,),
        )
        db.execute("INSERT INTO nv_recovery_code (user, code_hash) VALUES (?, 'x')", (gina,))
    code, out = run(cli, "user", "two-factor-off", "Gina")
    assert code == 0, out
    assert "two-factor authentication is off for gina" in out
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM nv_two_factor").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM nv_recovery_code").fetchone() == (0,)
