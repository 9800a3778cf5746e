"""``nichevid privacy``: erase the accounts whose grace period is over, prune watch history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from nichevid.accounts.cli import with_resources
from nichevid.cli import UserError, friendly_errors


def _as_of(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"--as-of {value!r} is not a date: write it as 2026-12-31 or 2026-12-31T18:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group("privacy")
def privacy_group() -> None:
    """Account deletion and watch-history retention."""


@privacy_group.command("purge-due")
@click.option(
    "--as-of",
    help="Erase the accounts due by this UTC time instead of now (e.g. to check a date).",
)
@click.pass_context
@friendly_errors
def purge_due_command(ctx: click.Context, as_of: str | None) -> None:
    """Erase now every account whose deletion grace period is over."""
    from nichevid.privacy.deletion import purge_due

    moment = _as_of(as_of)

    async def work(resources: Any) -> tuple[int, int]:
        return await purge_due(resources, now=moment)

    erased, postponed = with_resources(ctx, work)
    click.echo(f"{erased} account(s) erased, {postponed} postponed")


@privacy_group.command("prune-history")
@click.pass_context
@friendly_errors
def prune_history_command(ctx: click.Context) -> None:
    """Delete watch events older than plugin.privacy.watch_history_days now."""
    from nichevid.privacy.retention import delete_old_watch_events

    async def work(resources: Any) -> int:
        return await delete_old_watch_events(resources)

    click.echo(f"{with_resources(ctx, work)} watch event(s) deleted")
