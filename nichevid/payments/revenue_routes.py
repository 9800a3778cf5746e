"""The operator's payout queue (``/admin/payouts``) and revenue page (``/admin/revenue``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_role
from nichevid.accounts.tables import User
from nichevid.core.csvfile import csv_response
from nichevid.i18n import gettext
from nichevid.payments import earnings, payouts
from nichevid.payments.accounts import COINS
from nichevid.payments.checkout import display


def major(amount: int, unit: str) -> str:
    """``1999, "EUR"`` -> ``"19.99"``: a plain number for spreadsheets."""
    if unit == COINS:
        return str(amount)
    places = get_currency_precision(unit)
    return f"{Decimal(amount).scaleb(-places):.{places}f}"


async def _names(owners: set[str]) -> dict[str, str]:
    """Usernames by owner id; an erased member's pseudonym stays as it is."""
    ids = [int(o) for o in owners if o.isdigit()]
    rows = await User.select(User.id, User.username).where(User.id.is_in(ids)) if ids else []
    return {str(r["id"]): r["username"] for r in rows}


def _user(request: Request[Any, Any, Any]) -> Any:
    return request.scope.get("user")


async def _queue(request: Request[Any, Any, Any], error: str = "", status: int = 200) -> Template:
    pending = list(reversed(await payouts.listing("pending")))
    approved = list(reversed(await payouts.listing("approved")))
    decided = [p for p in await payouts.listing(limit=50) if p.status in ("paid", "rejected")]
    names = await _names({p.owner for p in [*pending, *approved, *decided]})
    context = {
        "user": _user(request),
        "pending": pending,
        "approved": approved,
        "decided": decided,
        "names": names,
        "display": display,
        "status_label": payouts.status_label,
        "error": error,
        "done": request.query_params.get("done", ""),
    }
    return Template("payments/payouts_admin.html", context=context, status_code=status)


class PayoutAdmin(Controller):
    """Approve or reject requests, export the approved ones, record them as paid."""

    path = "/admin/payouts"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def queue(self, request: Request[Any, Any, Any]) -> Template:
        """Pending requests first, then approved ones not yet sent, then recent decisions."""
        return await _queue(request)

    @post("/{payout_id:int}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], payout_id: FromPath[int]
    ) -> Response[Any]:
        """Approve: the held money moves to paid out; the request joins the export."""
        try:
            await payouts.approve(request.app.state.settings, payout_id)
        except payouts.PayoutError as exc:
            return await _queue(request, exc.message, exc.status)
        return Redirect("/admin/payouts?done=approved", status_code=HTTP_303_SEE_OTHER)

    @post("/{payout_id:int}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], payout_id: FromPath[int]
    ) -> Response[Any]:
        """Reject with the reason typed: the held money returns to the creator's earnings."""
        form = await request.form()
        try:
            await payouts.reject(
                request.app.state.settings, payout_id, str(form.get("reason") or "")
            )
        except payouts.PayoutError as exc:
            return await _queue(request, exc.message, exc.status)
        return Redirect("/admin/payouts?done=rejected", status_code=HTTP_303_SEE_OTHER)

    @get("/unpaid.csv")
    async def unpaid_csv(self) -> Response[str]:
        """Approved payouts not yet marked paid, one line each, to send by hand."""
        approved = list(reversed(await payouts.listing("approved", limit=10_000)))
        names = await _names({p.owner for p in approved})
        rows: list[list[Any]] = [
            ["payout", "member", "amount", "currency", "details", "requested_at", "approved_at"]
        ]
        rows += [
            [
                p.id,
                names.get(p.owner, p.owner),
                major(int(p.amount), p.unit),
                p.unit,
                p.details,
                p.created_at.isoformat() if p.created_at else "",
                p.decided_at.isoformat() if p.decided_at else "",
            ]
            for p in approved
        ]
        return csv_response(rows, "payouts-to-send.csv")

    @post("/mark-paid")
    async def mark_paid(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Record the payouts ticked as sent."""
        form = await request.form()
        wanted = [str(v) for v in form.getall("payout", [])]
        if not wanted or not all(v.isdigit() for v in wanted):
            return await _queue(
                request, gettext("Tick the payouts you have sent, then mark them."), 400
            )
        await payouts.mark_paid([int(v) for v in wanted])
        return Redirect("/admin/payouts?done=paid", status_code=HTTP_303_SEE_OTHER)


def _period(request: Request[Any, Any, Any]) -> tuple[int, str, int]:
    try:
        days, _ = earnings.period(request.query_params.get("days"), None)
    except earnings.PeriodError as exc:
        return earnings.DEFAULT_DAYS, exc.message, exc.status
    return days, "", 200


class RevenueAdmin(Controller):
    """Totals by stream and currency over a period: gross, creators, platform, refunds."""

    path = "/admin/revenue"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """The figures for ``?days=`` (7, 30, 90 or 365)."""
        days, error, status = _period(request)
        figures = await earnings.revenue(days)
        context = {
            "user": _user(request),
            "figures": figures,
            "sums": earnings.by_unit(figures.streams),
            "label": earnings.stream_label,
            "display": display,
            "periods": earnings.PERIODS,
            "days": days,
            "error": error,
        }
        return Template("payments/revenue.html", context=context, status_code=status)

    @get("/export.csv")
    async def export(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The same figures as CSV, in major units."""
        days, error, status = _period(request)
        if error:
            return Response({"error": error}, status_code=status)
        figures = await earnings.revenue(days)
        rows: list[list[Any]] = [
            ["stream", "unit", "gross", "creators", "platform", "refunds", "chargebacks", "net"]
        ]
        rows += [
            [
                line.stream,
                line.unit,
                *(
                    major(v, line.unit)
                    for v in (
                        line.gross,
                        line.creators,
                        line.platform,
                        line.refunds,
                        line.chargebacks,
                        line.net,
                    )
                ),
            ]
            for line in figures.streams
        ]
        rows += [
            ["paid_out", unit, major(v, unit), "", "", "", "", ""]
            for unit, v in sorted(figures.paid_out.items())
        ]
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        return csv_response(rows, f"revenue-{days}d-{stamp}.csv")
