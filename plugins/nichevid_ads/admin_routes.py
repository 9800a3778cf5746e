"""The operator's ad pages: campaigns with their delivery, and sponsored challenges."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_role
from nichevid.core.csvfile import csv_response
from nichevid.payments.checkout import display
from nichevid.payments.revenue_routes import major
from nichevid_ads import campaigns, challenges, serving
from nichevid_ads.errors import AdError

FIELDS = [
    *("name", "advertiser", "kind", "video", "cta_label", "cta_url", "starts_on", "ends_on"),
    *("currency", "budget", "cpm", "per_viewer"),
    *("tag", "sponsor", "title", "description", "prize"),
]


async def _form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The submitted fields as text (``''`` when missing), ``languages`` as a list."""
    form = await request.form()
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = form.get(name, "")
        values[name] = value if isinstance(value, str) else ""
    values["languages"] = [v for v in form.getall("languages", []) if isinstance(v, str)]
    return values


def _back(path: str, done: str) -> Redirect:
    return Redirect(f"{path}?done={done}", status_code=HTTP_303_SEE_OTHER)


async def overview(
    request: Request[Any, Any, Any],
    error: str = "",
    status: int = 200,
    *,
    campaign: dict[str, Any] | None = None,
    challenge: dict[str, Any] | None = None,
) -> Template:
    """Every campaign with its delivery, every challenge with its entries, and the forms.

    ``campaign`` and ``challenge`` are the drafts a refused form comes back with.
    """
    rows = await campaigns.listed()
    every = await challenges.listed()
    day = campaigns.today().isoformat()
    fresh = {"languages": [], "starts_on": day, "ends_on": day}
    context = {
        "user": request.scope.get("user"),
        "campaigns": rows,
        "delivery": await campaigns.deliveries([int(r["id"]) for r in rows]),
        "challenges": every,
        "entries": await challenges.entries(every),
        "display": display,
        "error": error,
        "campaign_draft": campaign or fresh,
        "challenge_draft": challenge or fresh,
        "done": request.query_params.get("done", ""),
    }
    return Template("ads/admin.html", context=context, status_code=status)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A campaign as its form shows it: amounts in the major unit, days as text."""
    return {
        **row,
        "video": row.get("slug") or "",
        "starts_on": row["starts_on"].isoformat(),
        "ends_on": row["ends_on"].isoformat(),
        "budget": major(int(row["budget"]), row["currency"]),
        "cpm": major(int(row["cpm"]), row["currency"]),
        "languages": [code for code in row["languages"].split(",") if code],
    }


async def campaign_page(
    request: Request[Any, Any, Any],
    campaign_id: int,
    error: str = "",
    status: int = 200,
    draft: dict[str, Any] | None = None,
) -> Template:
    """One campaign: its settings to change, and what it delivered per day."""
    row = await campaigns.get(campaign_id)
    delivered = (await campaigns.deliveries([campaign_id])).get(campaign_id, campaigns.Delivery())
    context = {
        "user": request.scope.get("user"),
        "campaign": row,
        "delivered": delivered,
        "bought": campaigns.bought_views(row),
        "days": await campaigns.by_day(campaign_id),
        "display": display,
        "error": error,
        "values": draft or _shown(row),
        "done": request.query_params.get("done", ""),
    }
    return Template("ads/campaign.html", context=context, status_code=status)


class AdAdmin(Controller):
    """``/admin/ads``: for admins only."""

    path = "/admin/ads"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """The operator's ad page."""
        return await overview(request)

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Book a campaign."""
        form = await _form(request)
        try:
            campaign_id = await campaigns.save(form)
        except AdError as exc:
            return await overview(request, exc.message, exc.status, campaign=form)
        serving.forget(request.app.state.resources)
        return _back(f"/admin/ads/{campaign_id}", "created")

    @get("/{campaign_id:int}")
    async def campaign(
        self, request: Request[Any, Any, Any], campaign_id: FromPath[int]
    ) -> Template:
        """One campaign's page."""
        try:
            return await campaign_page(request, campaign_id)
        except AdError as exc:
            return await overview(request, exc.message, exc.status)

    @post("/{campaign_id:int}")
    async def change(
        self, request: Request[Any, Any, Any], campaign_id: FromPath[int]
    ) -> Response[Any]:
        """Change a campaign; a refused change leaves it as it was."""
        form = await _form(request)
        try:
            await campaigns.save(form, campaign_id)
        except AdError as exc:
            if exc.status == 404:
                return await overview(request, exc.message, exc.status)
            return await campaign_page(request, campaign_id, exc.message, exc.status, form)
        serving.forget(request.app.state.resources)
        return _back(f"/admin/ads/{campaign_id}", "saved")

    @post("/{campaign_id:int}/status")
    async def status(
        self, request: Request[Any, Any, Any], campaign_id: FromPath[int]
    ) -> Response[Any]:
        """Pause, resume or end a campaign."""
        form = await request.form()
        wanted = form.get("status", "")
        try:
            await campaigns.set_status(campaign_id, wanted if isinstance(wanted, str) else "")
        except AdError as exc:
            if exc.status == 404:
                return await overview(request, exc.message, exc.status)
            return await campaign_page(request, campaign_id, exc.message, exc.status)
        serving.forget(request.app.state.resources)
        return _back(f"/admin/ads/{campaign_id}", "saved")

    @get("/{campaign_id:int}/report.csv")
    async def report(
        self, request: Request[Any, Any, Any], campaign_id: FromPath[int]
    ) -> Response[Any]:
        """Views, clicks and spend per day, for the advertiser's invoice."""
        try:
            row = await campaigns.get(campaign_id)
        except AdError as exc:
            return await overview(request, exc.message, exc.status)
        lines: list[list[Any]] = [["day", "views", "clicks", "spent", "currency"]]
        views = spent_before = 0
        for day in await campaigns.by_day(campaign_id):
            views += day["views"]
            spent = campaigns.Delivery(views).spent(row)
            cost = major(spent - spent_before, row["currency"])
            day_line = [day["day"].isoformat(), day["views"], day["clicks"], cost, row["currency"]]
            lines.append(day_line)
            spent_before = spent
        return csv_response(lines, f"campaign-{campaign_id}.csv")

    @post("/challenges")
    async def create_challenge(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Start a sponsored challenge."""
        form = await _form(request)
        try:
            await challenges.save(form)
        except AdError as exc:
            return await overview(request, exc.message, exc.status, challenge=form)
        return _back("/admin/ads", "challenge")

    @post("/challenges/{challenge_id:int}/end")
    async def end_challenge(
        self, request: Request[Any, Any, Any], challenge_id: FromPath[int]
    ) -> Response[Any]:
        """End a challenge now."""
        try:
            await challenges.end(challenge_id)
        except AdError as exc:
            return await overview(request, exc.message, exc.status)
        return _back("/admin/ads", "ended")


def all_routes() -> list[Any]:
    """Every controller of the plugin."""
    from nichevid_ads.routes import AdPages, ChallengePages

    return [AdPages, ChallengePages, AdAdmin]
