"""Shared test set-up; most fixtures come from the ``nichevid.testing`` pytest plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nichevid.cli import main
from nichevid.testing import shape
from nichevid.testing.servers import no_settings_file

# Every database, Redis and job fixture of nichevid.testing stands on this one.
SHAPED = "nv_services"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests that reach no database, Redis or jobs once, in the embedded shape.

    They do the same in both shapes, and both shapes share the machine's time.
    """
    if shape() != "postgres":
        return
    once = pytest.mark.skip(reason="no database, Redis or jobs: runs in the embedded shape")
    for item in items:
        if SHAPED not in item.fixturenames and not item.get_closest_marker("postgres_only"):
            item.add_marker(once)


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    """``nichevid`` commands on a fresh, migrated SQLite instance in ``tmp_path / "instance"``."""
    data_dir = tmp_path / "instance"
    data_dir.mkdir()
    runner = CliRunner(
        env={
            "NICHEVID_DATA_DIR": str(data_dir),
            "NICHEVID_DATABASE_URL": f"sqlite:///{data_dir / 'cli.sqlite3'}",
            "NICHEVID_REDIS_URL": "",
            "NICHEVID_CONFIG": str(no_settings_file()),
        }
    )
    result = runner.invoke(main, ["migrate"], obj={})
    assert result.exit_code == 0, result.output
    return runner


def user_maker(resources: Any, default_role: str = "member") -> Any:
    """``await make(username, role=..., **fields)``: an account made through the service.

    Reserved names are allowed, the e-mail is ``<username>@example.org`` and the password
    the accounts tests' ``PASSWORD``.
    """
    from nichevid.accounts import services
    from tests.accounts.conftest import PASSWORD

    async def make(username: str, *, role: str = default_role, **extra: Any) -> Any:
        return await services.create_user(
            resources.settings,
            resources.pm,
            username=username,
            email=f"{username}@example.org",
            password=PASSWORD,
            role=role,
            allow_reserved=True,
            **extra,
        )

    return make


@pytest.fixture
def make_user(nv_resources: Any) -> Any:
    """``await make_user("ada", role="creator", **fields)``: an account made by the service
    (folders with needs of their own define theirs)."""
    return user_maker(nv_resources)


def mark_plugin_tests(items: list[pytest.Item], folder: str, plugin: str) -> None:
    """Run every test under ``tests/<folder>/`` with ``plugin`` loaded (for a folder's
    ``pytest_collection_modifyitems``)."""
    for item in items:
        if f"tests/{folder}/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.nichevid_plugins(plugin))
