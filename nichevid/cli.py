"""``nichevid`` command line: serve, worker, migrate, config, plugins, user, demo, ..."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
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
        from nichevid.settings import PluginsSettings, Settings

        commands: list[click.Command] = []
        try:
            settings = load_settings((ctx.params or {}).get("config"))
        except Exception:
            # Broken settings: the built-in commands still work and report the error.
            settings = Settings(plugins=PluginsSettings(enabled=[]))
        with contextlib.suppress(Exception):
            pm = make_plugin_manager(settings, on_error="skip")
            commands = collect_lists(pm.hook.register_cli_commands)
        return {c.name: c for c in commands if c.name}

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
    _check_services(settings)
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
    """Run a job worker (production shape: arq on Redis); start as many as you like."""
    settings = settings_from(ctx)
    if not settings.uses_redis:
        raise UserError(
            "nichevid worker needs Redis: set redis.url / NICHEVID_REDIS_URL "
            "(without Redis, jobs run inside `nichevid serve`)"
        )
    run_async(_run_worker(settings, burst))


async def _run_worker(settings: Settings, burst: bool) -> None:
    from nichevid.jobs import make_worker
    from nichevid.logs import configure_logging
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    configure_logging(settings)
    # Database and Redis are checked before the worker starts, so a service that is down
    # stops it at once with one line instead of a retry loop or a traceback.
    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        job_worker = make_worker(settings, burst=burst, resources=resources)
        try:
            await job_worker.async_run()
        except asyncio.CancelledError:
            # SIGINT / SIGTERM: arq cancelled its main task; running jobs are queued again.
            if job_worker.main_task is None or not job_worker.main_task.cancelled():
                raise
        finally:
            await job_worker.close()
    finally:
        await close_resources(resources)


@main.group()
def jobs() -> None:
    """Inspect background jobs and retry failed ones."""


@jobs.command("list")
@click.option("--limit", type=int, default=20, show_default=True, help="Failed jobs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@friendly_errors
def jobs_list(ctx: click.Context, as_json: bool, limit: int) -> None:
    """Count jobs by status and list failed jobs with their errors."""
    from nichevid.jobs import JobQueue

    async def report(queue: JobQueue) -> tuple[dict[str, int], list[Any]]:
        return await queue.counts(), await queue.failed(limit)

    counts, failed = run_async(_with_jobs(settings_from(ctx), report))
    if as_json:
        rows = [
            {"job_id": f.job_id, "name": f.name, "tries": f.tries, "error": f.error} for f in failed
        ]
        click.echo(json.dumps({"counts": counts, "failed": rows}, indent=2))
        return
    click.echo("  ".join(f"{status} {count}" for status, count in counts.items()))
    for info in failed:
        click.echo(f"failed {info.job_id} ({info.name}, {info.tries} tries): {info.error}")


@jobs.command("retry")
@click.argument("job_id")
@click.pass_context
@friendly_errors
def jobs_retry(ctx: click.Context, job_id: str) -> None:
    """Queue failed job JOB_ID again, with a fresh set of tries."""
    from nichevid.jobs import JobQueue

    async def retry(queue: JobQueue) -> tuple[bool, str | None]:
        return await queue.retry(job_id), await queue.status(job_id)

    retried, status = run_async(_with_jobs(settings_from(ctx), retry))
    if not retried:
        raise UserError(f"job {job_id!r} is not a failed job (status: {status or 'unknown'})")
    click.echo(f"queued {job_id} again")


async def _with_jobs(settings: Settings, action: Callable[[Any], Awaitable[T]]) -> T:
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        return await action(resources.jobs)
    finally:
        await close_resources(resources)


def _check_services(settings: Settings) -> None:
    from nichevid.runtime import check_services

    run_async(check_services(settings))


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
    # A listing shows a broken plugin with its error instead of refusing to run.
    pm = make_plugin_manager(settings, on_error="skip")
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


def _add_scaffold() -> None:
    from nichevid.scaffold import plugin_group

    main.add_command(plugin_group)


_add_scaffold()


def entry() -> None:  # pragma: no cover - console script shim for ``python -m nichevid``
    main(obj={})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
