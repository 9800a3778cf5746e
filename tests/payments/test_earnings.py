"""Earnings by stream over time, and the operator's revenue figures, from the ledger."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.core.charts import stacked_bars
from nichevid.payments import earnings, moves, payouts
from nichevid.payments.tables import LedgerTransaction
from tests.accounts.conftest import login


async def _pay(settings: Any, payer: int, payee: int, amount: int, kind: str, key: str) -> Any:
    return await moves.spend(
        settings,
        payer=payer,
        payee=payee,
        amount=amount,
        unit="EUR",
        kind=kind,
        idempotency_key=key,
    )


@pytest.fixture
async def books(nv_resources: Any, make_user: Any, fund: Any) -> dict[str, Any]:
    """cara earns from a gift, a donation, a subscription and a tip; one gift is refunded,
    the subscription charged back; she is paid out 10.00 EUR."""
    settings = nv_resources.settings
    cara, fan = await make_user("cara"), await make_user("fan")
    await fund(fan.id, 100_000, "EUR")
    await _pay(settings, fan.id, cara.id, 1000, "gift", "g1")
    refunded = await _pay(settings, fan.id, cara.id, 500, "gift", "g2")
    await _pay(settings, fan.id, cara.id, 2000, "donation", "d1")
    charged = await _pay(settings, fan.id, cara.id, 3000, "subscription_renewal", "s1")
    await _pay(settings, fan.id, cara.id, 100, "tip", "t1")
    await moves.reverse(settings, refunded.id, kind="refund")
    await moves.reverse(settings, charged.id, kind="chargeback")
    asked = await payouts.request(
        settings, user_id=cara.id, amount=1000, unit="EUR", details="IBAN", request_key="k" * 9
    )
    await payouts.approve(settings, asked.payout.id)
    return {"cara": cara, "fan": fan}


async def test_creator_series_by_stream_leaves_payouts_out(books: dict[str, Any]) -> None:
    series = await earnings.creator_series(books["cara"].id, "EUR", 7, "day")
    assert len(series.buckets) == 7
    assert series.buckets[-1][0] == datetime.now(UTC).date()
    # 80 % of each payment; the refund and chargeback count against their stream.
    assert series.totals == {
        "gift": 800,
        "donation": 1600,
        "subscription": 0,
        "affiliates": 0,
        "coin_conversion": 0,
        "other": 80,
    }
    assert series.buckets[-1][1] == series.totals
    weekly = await earnings.creator_series(books["cara"].id, "EUR", 30, "week")
    assert all(start.weekday() == 0 for start, _ in weekly.buckets)
    assert sum(v["gift"] for _, v in weekly.buckets) == 800


async def test_old_earnings_fall_outside_the_period(books: dict[str, Any]) -> None:
    old = datetime.now(UTC) - timedelta(days=20)
    await LedgerTransaction.update({LedgerTransaction.created_at: old}).where(
        LedgerTransaction.idempotency_key == "d1"
    )
    week = await earnings.creator_series(books["cara"].id, "EUR", 7, "day")
    assert week.totals["donation"] == 0
    month = await earnings.creator_series(books["cara"].id, "EUR", 30, "day")
    assert month.totals["donation"] == 1600
    (day,) = [v for d, v in month.buckets if d == old.date()]
    assert day["donation"] == 1600


async def test_revenue_by_stream_with_refunds_and_chargebacks(books: dict[str, Any]) -> None:
    figures = await earnings.revenue(30)
    lines = {line.stream: line for line in figures.streams}
    assert set(lines) == {"gift", "donation", "subscription", "other"}
    gift = lines["gift"]
    assert (gift.gross, gift.creators, gift.platform, gift.refunds, gift.net) == (
        1500,
        1200,
        300,
        500,
        1000,
    )
    sub = lines["subscription"]
    assert (sub.gross, sub.chargebacks, sub.net) == (3000, 3000, 0)
    assert lines["donation"].platform == 400
    assert figures.paid_out == {"EUR": 1000}
    total = earnings.by_unit(figures.streams)["EUR"]
    assert total.gross == 6600
    assert total.net == 3100


async def test_revenue_page_and_export(
    books: dict[str, Any], nv_client: Any, make_user: Any
) -> None:
    await make_user("root", role="admin")
    await login(nv_client, "root")
    page = await nv_client.get("/admin/revenue?days=30", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'data-stream="gift" data-unit="EUR"' in page.text
    assert "15.00 EUR" in page.text  # gross gifts
    exported = await nv_client.get("/admin/revenue/export.csv?days=30")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == [
        "stream",
        "unit",
        "gross",
        "creators",
        "platform",
        "refunds",
        "chargebacks",
        "net",
    ]
    assert ["gift", "EUR", "15.00", "12.00", "3.00", "5.00", "0.00", "10.00"] in rows
    assert ["paid_out", "EUR", "10.00", "", "", "", "", ""] in rows
    bad = await nv_client.get("/admin/revenue/export.csv?days=abc")
    assert bad.status_code == 400
    assert "Choose a period" in bad.json()["error"]
    page = await nv_client.get("/admin/revenue?days=-3", headers={"accept": "text/html"})
    assert page.status_code == 400


@pytest.mark.parametrize(
    ("days", "step", "wanted"),
    [(None, None, (30, "day")), ("365", None, (365, "week")), ("7", "week", (7, "week"))],
)
def test_period_choices(days: str | None, step: str | None, wanted: tuple[int, str]) -> None:
    assert earnings.period(days, step) == wanted


@pytest.mark.parametrize(("days", "step"), [("8", None), ("x", None), ("7", "month")])
def test_bad_periods_are_refused(days: str, step: str | None) -> None:
    with pytest.raises(earnings.PeriodError):
        earnings.period(days, step)


def test_chart_escapes_labels_and_shows_exact_figures() -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC).date()
    svg = stacked_bars(
        [(day, {"gift": 250, "other": -50})],
        [("gift", "<Gifts>"), ("other", "Other")],
        "Earnings & more",
        lambda amount: f"{amount} EUR",
    )
    assert "&lt;Gifts&gt;" in svg
    assert "<Gifts>" not in svg
    assert "Earnings &amp; more" in svg
    assert "2026-12-01 &lt;Gifts&gt;: 250 EUR" in svg
    assert 'data-series="other"' in svg
    assert "Other: -50 EUR" in svg
