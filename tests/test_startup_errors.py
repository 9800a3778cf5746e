"""A database or Redis that cannot be reached stops start-up at once with one clear line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nichevid.app import create_app
from nichevid.cli import main
from nichevid.runtime import ResourceError, check_services
from nichevid.testing import running
from nichevid.testing.servers import free_port, no_settings_file

# Generous bounds: start-up must fail within seconds, not hang.
LIMIT = 30


def closed_postgres() -> str:
    return f"postgresql://nichevid:hunter2@127.0.0.1:{free_port()}/nichevid"


def closed_redis() -> str:
    return f"redis://:hunter2@127.0.0.1:{free_port()}/0"


async def start_app(settings: Any) -> None:
    async with asyncio.timeout(LIMIT):
        async with running(create_app(settings)):
            pass


async def test_app_start_fails_when_the_database_is_unreachable(
    nv_settings_factory: Callable[..., Any],
) -> None:
    settings = nv_settings_factory(database={"url": closed_postgres()}, redis={"url": ""})
    with pytest.raises(ResourceError, match="cannot reach PostgreSQL") as caught:
        await start_app(settings)
    assert "hunter2" not in str(caught.value)


async def test_app_start_fails_when_the_sqlite_file_cannot_be_opened(
    nv_settings_factory: Callable[..., Any], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}"
    settings = nv_settings_factory(database={"url": url}, redis={"url": ""})
    with pytest.raises(ResourceError, match="cannot open the database"):
        await start_app(settings)


@pytest.mark.usefixtures("_nv_migrated")
async def test_app_start_fails_when_redis_is_down(
    nv_settings_factory: Callable[..., Any],
) -> None:
    settings = nv_settings_factory(redis={"url": closed_redis()})
    with pytest.raises(ResourceError, match="cannot reach Redis") as caught:
        await start_app(settings)
    assert "hunter2" not in str(caught.value)
    assert "NICHEVID_REDIS_URL" in str(caught.value)


async def test_check_services_passes_when_everything_answers(nv_settings: Any) -> None:
    await check_services(nv_settings)


def env_for(tmp_path: Path, **values: str) -> dict[str, str]:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    env = {
        "NICHEVID_DATA_DIR": str(data_dir),
        "NICHEVID_SECRET_KEY": "test-secret-key-not-for-production",
        "NICHEVID_DATABASE_URL": "",
        "NICHEVID_REDIS_URL": "",
    }
    env.update(values)
    return env


def assert_one_error_line(output: str, *needles: str) -> None:
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    for needle in needles:
        assert needle in errors[0], output
    assert "Traceback" not in output
    assert "hunter2" not in output


def test_worker_refuses_to_start_without_redis(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["worker"], env=env_for(tmp_path), obj={})
    assert result.exit_code == 2
    assert_one_error_line(result.output, "needs Redis")


def test_worker_stops_when_redis_is_down(tmp_path: Path) -> None:
    env = env_for(tmp_path, NICHEVID_REDIS_URL=closed_redis())
    result = CliRunner().invoke(main, ["worker"], env=env, obj={})
    assert result.exit_code == 2, result.output
    assert_one_error_line(result.output, "cannot reach Redis")


def test_worker_stops_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = env_for(
        tmp_path, NICHEVID_DATABASE_URL=closed_postgres(), NICHEVID_REDIS_URL=closed_redis()
    )
    result = CliRunner().invoke(main, ["worker"], env=env, obj={})
    assert result.exit_code == 2, result.output
    assert_one_error_line(result.output, "cannot reach PostgreSQL")


def test_jobs_list_stops_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = env_for(tmp_path, NICHEVID_DATABASE_URL=closed_postgres())
    result = CliRunner().invoke(main, ["jobs", "list"], env=env, obj={})
    assert result.exit_code == 2, result.output
    assert_one_error_line(result.output, "cannot reach PostgreSQL")


def run_command(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    # No settings file of the folder the tests run from (nor the caller's).
    full_env["NICHEVID_CONFIG"] = str(no_settings_file())
    return subprocess.run(
        [sys.executable, "-c", "from nichevid.cli import entry; entry()", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )


def test_worker_process_exits_at_once_when_redis_is_down(tmp_path: Path) -> None:
    done = run_command(["worker"], env_for(tmp_path, NICHEVID_REDIS_URL=closed_redis()))
    assert done.returncode == 2, done.stderr
    assert_one_error_line(done.stderr, "cannot reach Redis")


def test_worker_process_exits_at_once_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = env_for(
        tmp_path, NICHEVID_DATABASE_URL=closed_postgres(), NICHEVID_REDIS_URL=closed_redis()
    )
    done = run_command(["worker"], env)
    assert done.returncode == 2, done.stderr
    assert_one_error_line(done.stderr, "cannot reach PostgreSQL")


def test_serve_exits_at_once_when_redis_is_down(tmp_path: Path) -> None:
    env = env_for(tmp_path, NICHEVID_REDIS_URL=closed_redis())
    done = run_command(["serve", "--host", "127.0.0.1", "--port", str(free_port())], env)
    assert done.returncode == 2, done.stderr
    assert_one_error_line(done.stderr, "cannot reach Redis")


def test_serve_exits_at_once_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = env_for(tmp_path, NICHEVID_DATABASE_URL=closed_postgres())
    done = run_command(["serve", "--host", "127.0.0.1", "--port", str(free_port())], env)
    assert done.returncode == 2, done.stderr
    assert_one_error_line(done.stderr, "PostgreSQL")


def test_extra_plugins_from_the_environment_are_registered(
    nv_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.jobs import JobRegistry
    from nichevid.plugins import make_plugin_manager

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    monkeypatch.setenv("NICHEVID_EXTRA_PLUGINS", "nv_test_jobs:plugin")
    registry = JobRegistry.from_plugins(make_plugin_manager(nv_settings))
    assert "crash_once" in registry.jobs


def test_an_extra_plugin_that_does_not_import_stops_start_up(
    nv_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.plugins import PluginError, make_plugin_manager

    monkeypatch.setenv("NICHEVID_EXTRA_PLUGINS", "no_such_module_here:plugin")
    with pytest.raises(PluginError, match="no_such_module_here:plugin"):
        make_plugin_manager(nv_settings)
