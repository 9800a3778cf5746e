"""The operators' statistics page (admins only)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from nichevid.accounts.guards import requires_role
from nichevid.core.charts import hbars
from nichevid.i18n import gettext
from nichevid_moderation import reports, stats
from nichevid_moderation.routes import page

PERIODS = (7, 30, 90)


class StatsPage(Controller):
    """``/moderation/stats``: reports in and handled, time to decision, removals, appeals."""

    path = "/moderation/stats"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        """The figures of the chosen period (7, 30 or 90 days) with charts."""
        raw = request.query_params.get("days", "30")
        days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 30
        found = await stats.figures(days)
        names = reports.categories()
        removals = {names.get(k, k): v for k, v in found.removals_by_reason.items()}
        return page(
            request,
            "moderation/stats.html",
            stats=found,
            periods=PERIODS,
            daily_svg=stats.daily_chart(
                found.daily,
                gettext("Reports per day"),
                (gettext("Reports in"), gettext("Handled")),
            ),
            removals_svg=hbars(removals, gettext("Removals by reason")),
        )
