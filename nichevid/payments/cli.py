"""``nichevid ledger``: prove the books balance."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click


@click.group("ledger")
def ledger() -> None:
    """The payments ledger."""


@ledger.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def check_command(ctx: click.Context, as_json: bool) -> None:
    """Prove every transaction sums to zero and every cached balance matches its entries.

    Exits with status 1, naming the offending transactions and accounts, when not.
    """
    from nichevid.cli import friendly_errors, settings_from
    from nichevid.payments.check import Report, check
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    settings = settings_from(ctx)

    async def run() -> Report:
        resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
        try:
            return await check()
        finally:
            await close_resources(resources)

    report: Any = friendly_errors(lambda: asyncio.run(run()))()
    if as_json:
        json.dump(report.as_dict(), sys.stdout, indent=2)
        click.echo()
    else:
        click.echo(f"{report.transactions} transactions, {report.accounts} accounts")
        for total in report.totals:
            click.echo(f"  {total['kind']:<9} {total['unit']:<6} {total['total']:>14}")
        problems = {
            "transactions that do not sum to zero": report.unbalanced,
            "transactions with fewer than two entries": report.short,
            "entries in another unit than their account": report.wrong_unit,
            "accounts whose balance differs from their entries": report.stale_balances,
            "accounts below zero that must not be": report.negative,
        }
        for label, ids in problems.items():
            if ids:
                click.echo(f"{label}: {', '.join(map(str, ids))}", err=True)
        click.echo("ok: the ledger balances" if report.ok else "FAILED", err=not report.ok)
    if not report.ok:
        ctx.exit(1)
