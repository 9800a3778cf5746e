"""Payments as a plugin of the core: the ledger tables, settings, webhooks, pages, jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.payments.piccolo_app"]


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid.payments.settings import SECTION, PaymentSettings

    return {SECTION: PaymentSettings}


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid.payments.earnings_routes import Earnings
    from nichevid.payments.revenue_routes import PayoutAdmin, RevenueAdmin
    from nichevid.payments.routes import LedgerAdmin, TestCheckout, Wallet, Webhooks

    return [Wallet, TestCheckout, Webhooks, LedgerAdmin, Earnings, PayoutAdmin, RevenueAdmin]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def register_cli_commands() -> list[Any]:
    from nichevid.payments.cli import ledger

    return [ledger]


@hookimpl
def register_jobs() -> list[Any]:
    from nichevid.jobs import Job
    from nichevid.payments.events import RECONCILE_JOB, reconcile_job

    return [Job(RECONCILE_JOB, reconcile_job, max_tries=3, timeout=120.0, backoff=10.0)]


@hookimpl
def register_cron_jobs() -> list[Any]:
    from nichevid.jobs import CronJob
    from nichevid.payments.events import RECONCILE_JOB, reconcile_job

    return [CronJob(RECONCILE_JOB, reconcile_job, timeout=120.0)]


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from markupsafe import escape

    from nichevid.i18n import gettext

    if slot == "admin_menu":
        from nichevid.admin.menu import admin_links

        return admin_links(
            context,
            [
                ("admin", "/admin/revenue", gettext("Revenue")),
                ("admin", "/admin/payouts", gettext("Payouts")),
                ("admin", "/admin/ledger", gettext("Ledger")),
            ],
        )
    if slot != "settings_menu":
        return None

    request, user = context.get("request"), context.get("user")
    if request is None or user is None:
        return None
    links = [("/wallet", gettext("Wallet")), ("/earnings", gettext("Earnings"))]
    path = request.scope["path"].rstrip("/")
    current = ' aria-current="page"'
    return "\n".join(
        f'<a href="{href}"{current if path == href else ""}>{escape(text)}</a>'
        for href, text in links
    )


@hookimpl
async def export_user_data(user: Any) -> dict[str, Any]:
    from nichevid.payments.privacy import export_for

    return {"money.json": await export_for(user.id)}


@hookimpl
async def user_deleting(user: Any, resources: Any) -> None:
    from nichevid.payments.privacy import erase_for

    await erase_for(resources.settings, user.id)
