"""``nichevid`` command line: serve, worker, migrate, config, plugins, user, demo, ..."""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from nichevid import __version__
from nichevid.settings import ConfigError, Settings, load_settings, redacted

T = TypeVar("T")


class UserError(click.ClickException):
    """A failure the user can fix; printed as one ``error:`` line, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def friendly_errors(func: Callable[..., T]) -> Callable[..., T]:
    """Turn known failures (bad settings, unreachable services, plugins) into one clear line."""
    from nichevid.db import DatabaseError
    from nichevid.jobs import JobError
    from nichevid.plugins import PluginError
    from nichevid.runtime import ResourceError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except (ConfigError, PluginError, ResourceError, DatabaseError, JobError) as exc:
            raise UserError(str(exc)) from exc

    return wrapper


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a synchronous command."""
    return asyncio.run(coro)


def settings_from(ctx: click.Context) -> Settings:
    """Settings for this invocation (``--config`` or the environment), loaded once."""
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings(obj.get("config"))
        except ConfigError as exc:
            raise UserError(str(exc)) from exc
    settings: Settings = obj["settings"]
    return settings


class PluginCommands(click.Group):
    """Adds the commands plugins register, without failing ``--help`` on bad settings."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        from nichevid.plugins import collect_lists, make_plugin_manager
        from nichevid.settings import Settings

        try:
            settings = load_settings((ctx.params or {}).get("config"))
            pm = make_plugin_manager(settings)
        except Exception:
            # Broken settings or plugins: the built-in commands still show (and report the error).
            pm = make_plugin_manager(Settings(), extra_plugins=())
        return {c.name: c for c in collect_lists(pm.hook.register_cli_commands) if c.name}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._plugin_commands(ctx).get(cmd_name)


@click.group(cls=PluginCommands)
@click.version_option(__version__, prog_name="nichevid")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NICHEVID_CONFIG",
    help="Settings file (default: ./nichevid.toml when present).",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """nichevid: a short-video platform for one community."""
    ctx.ensure_object(dict)["config"] = config


@main.command()
@click.option("--host", help="Address to listen on (default: server.host).")
@click.option("--port", type=int, help="Port (default: server.port).")
@click.option("--workers", type=int, help="Web processes (default: server.workers).")
@click.option("--no-migrate", is_flag=True, help="Do not apply pending migrations first.")
@click.pass_context
@friendly_errors
def serve(
    ctx: click.Context, host: str | None, port: int | None, workers: int | None, no_migrate: bool
) -> None:
    """Run the web server."""
    import os

    import uvicorn

    settings = settings_from(ctx)
    if not no_migrate:
        _migrate(settings, quiet=True)
    host = host or settings.server.host
    port = port or settings.server.port
    workers = workers or settings.server.workers
    if ctx.obj.get("config"):
        os.environ["NICHEVID_CONFIG"] = str(ctx.obj["config"])
    click.echo(f"nichevid {__version__} serving at http://{host}:{port} ({workers} worker(s))")
    uvicorn.run(
        "nichevid.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(settings.server.trusted_proxies),
        forwarded_allow_ips=",".join(settings.server.trusted_proxies) or None,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@main.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.pass_context
@friendly_errors
def worker(ctx: click.Context, burst: bool) -> None:
    """Run a job worker (production shape: arq on Redis)."""
    settings = settings_from(ctx)
    if not settings.uses_redis:
        raise UserError(
            "nichevid worker needs Redis: set redis.url / NICHEVID_REDIS_URL "
            "(without Redis, jobs run inside `nichevid serve`)"
        )
    from arq.worker import Worker

    from nichevid.jobs import worker_settings
    from nichevid.runtime import connect_redis

    run_async(_check_redis(settings, connect_redis))
    Worker(**worker_settings(settings, burst=burst)).run()


async def _check_redis(settings: Settings, connect: Callable[..., Any]) -> None:
    client = await connect(settings)
    await client.aclose()


def _migrate(settings: Settings, *, quiet: bool = False) -> list[str]:
    from nichevid.db import connect, disconnect, make_engine, migrate, piccolo_app_configs
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import ResourceError

    async def go() -> list[str]:
        pm = make_plugin_manager(settings)
        engine = make_engine(settings.database_url)
        try:
            await connect(engine)
        except Exception as exc:
            raise ResourceError(str(exc)) from exc
        try:
            progress = None if quiet else (lambda name: click.echo(f"  migrating {name}"))
            return await migrate(engine, piccolo_app_configs(pm), progress)
        finally:
            await disconnect(engine)

    return run_async(go())


@main.command("migrate")
@click.pass_context
@friendly_errors
def migrate_command(ctx: click.Context) -> None:
    """Apply pending migrations of the core and every enabled plugin (safe to repeat)."""
    settings = settings_from(ctx)
    names = _migrate(settings)
    click.echo(f"database up to date ({len(names)} apps)")


@main.group()
def config() -> None:
    """Inspect settings."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML-like text.")
@click.pass_context
@friendly_errors
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective settings, with every secret redacted."""
    data = redacted(settings_from(ctx))
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    _print_toml(data)


def _print_toml(data: dict[str, Any], prefix: str = "") -> None:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if prefix and scalars:
        click.echo(f"\n[{prefix}]")
    for key, value in sorted(scalars.items()):
        click.echo(f"{key} = {json.dumps(value)}")
    for key, value in sorted(tables.items()):
        _print_toml(value, f"{prefix}.{key}" if prefix else key)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@friendly_errors
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List installed plugins: version, enabled or not, hooks, tables and routes."""
    from nichevid.plugins import make_plugin_manager, plugin_infos
    from nichevid.plugins_report import describe

    settings = settings_from(ctx)
    pm = make_plugin_manager(settings)
    rows = describe(pm, plugin_infos(pm, settings), settings)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "builtin" if row["builtin"] else ("enabled" if row["enabled"] else "disabled")
        click.echo(f"{row['name']} {row['version']} [{state}]")
        if row["error"]:
            click.echo(f"  error: {row['error']}")
        for label in ("hooks", "tables", "routes"):
            if row[label]:
                click.echo(f"  {label}: {', '.join(row[label])}")


def entry() -> None:  # pragma: no cover - console script shim for ``python -m nichevid``
    main(obj={})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
