"""``nichevid storage``: check the media storage, and copy its files to another backend."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from nichevid.cli import UserError, friendly_errors, settings_from


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover - the loop returns


async def _backends(settings: Any, source_name: str, target_name: str) -> tuple[Any, Any]:
    """The source (the one in use unless named) and the named target, both checked."""
    from nichevid.plugins import call_first, collect_mappings, make_plugin_manager
    from nichevid.runtime import check_storage

    pm = make_plugin_manager(settings)
    factories = collect_mappings(pm.hook.register_storage_backends)
    names = ", ".join(sorted(factories)) or "none"
    for name in (source_name, target_name):
        if name and name not in factories:
            raise UserError(
                f"no storage backend is called {name!r} (registered by the enabled plugins: "
                f"{names}); enable the plugin that provides it"
            )
    source = (
        factories[source_name](settings)
        if source_name
        else await call_first(pm.hook.storage_backend, settings=settings)
    )
    target = factories[target_name](settings)
    if _same(source, target):
        raise UserError(
            f"--to {target_name!r} is the storage the files are already in: name another "
            "backend, or --from the one that holds them"
        )
    await check_storage(source)
    try:
        await check_storage(target)
    except BaseException:
        await source.close()
        raise
    return source, target


def _same(one: Any, other: Any) -> bool:
    """Whether two backends keep their files in the same place."""
    if type(one) is not type(other):
        return False
    where = ("root", "config")
    return all(getattr(one, name, None) == getattr(other, name, None) for name in where)


@click.group("storage")
def storage_group() -> None:
    """The media storage: check it, or copy its files to another backend."""


@storage_group.command("check")
@click.pass_context
@friendly_errors
def check_command(ctx: click.Context) -> None:
    """Check that the storage in use can be read and written."""
    from nichevid.plugins import call_first, make_plugin_manager
    from nichevid.runtime import check_storage

    settings = settings_from(ctx)

    async def work() -> str:
        pm = make_plugin_manager(settings)
        storage = await call_first(pm.hook.storage_backend, settings=settings)
        await check_storage(storage)
        await storage.close()
        return str(storage.name)

    click.echo(f"{asyncio.run(work())} storage: ok")


@storage_group.command("copy")
@click.option("--to", "target_name", required=True, help="Backend to copy to, e.g. s3.")
@click.option("--from", "source_name", default="", help="Backend to copy from (default: in use).")
@click.option("--prefix", default="", help="Only keys starting with this, e.g. videos/.")
@click.option("--dry-run", is_flag=True, help="Count what would be copied; copy nothing.")
@click.pass_context
@friendly_errors
def copy_command(
    ctx: click.Context, target_name: str, source_name: str, prefix: str, dry_run: bool
) -> None:
    """Copy every media file to another backend; nothing is deleted or changed in the source.

    Run it again to copy what changed since (files already there with the same size
    are skipped), then set [storage] backend to the new one and restart.
    """
    from nichevid.storage_copy import CopyReport, copy_all

    settings = settings_from(ctx)

    def progress(report: CopyReport, key: str) -> None:
        if report.seen % 100 == 0:
            click.echo(f"  {report.seen} file(s) looked at, {report.copied} copied", err=True)

    async def work() -> tuple[str, CopyReport]:
        source, target = await _backends(settings, source_name, target_name)
        try:
            report = await copy_all(
                source, target, prefix=prefix, dry_run=dry_run, progress=progress
            )
        finally:
            await source.close()
            await target.close()
        return str(source.name), report

    source, report = asyncio.run(work())
    verb = "would copy" if dry_run else "copied"
    click.echo(
        f"{source} -> {target_name}: {verb} {report.copied} file(s) "
        f"({_size(report.copied_bytes)}), {report.skipped} already there, "
        f"{len(report.failed)} failed"
    )
    for key, reason in report.failed[:20]:
        click.echo(f"  failed: {key}: {reason}", err=True)
    if report.failed:
        raise UserError(
            f"{len(report.failed)} file(s) were not copied (see above); fix the cause and run "
            "the same command again: it copies only what is missing"
        )
    if not dry_run:
        click.echo(
            f'Next: set [storage] backend = "{target_name}" and restart; keep the old files '
            "until the new backend has served for a while."
        )
