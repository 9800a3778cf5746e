"""The creator's earnings page, the operator's payout queue and revenue page, over HTTP."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.core.csvfile import safe_cell
from nichevid.payments import accounts as acc
from nichevid.payments import moves, payouts
from nichevid.payments.ledger import balance
from nichevid.payments.tables import Payout
from nichevid.settings import ConfigError
from tests.accounts.conftest import login, post_form

HTML = {"accept": "text/html"}


async def _earn(nv_resources: Any, make_user: Any, fund: Any, creator: Any, amount: int) -> None:
    fan = await make_user(f"fan{creator.id}")
    await fund(fan.id, amount, "EUR")
    await moves.spend(
        nv_resources.settings,
        payer=fan.id,
        payee=creator.id,
        amount=amount,
        unit="EUR",
        kind="gift",
        idempotency_key=f"page-earn:{creator.id}",
    )


def _form_key(page: str) -> str:
    found = re.search(r'name="request_key" value="([^"]+)"', page)
    assert found, "the payout form carries its own request key"
    return found.group(1)


async def test_a_creator_asks_and_sees_the_decision(
    nv_client: Any, nv_resources: Any, make_user: Any, fund: Any
) -> None:
    cara = await make_user("cara")
    await make_user("root", role="admin")
    await _earn(nv_resources, make_user, fund, cara, 5000)
    await login(nv_client, "cara")
    page = await nv_client.get("/earnings", headers=HTML)
    assert page.status_code == 200
    assert "40.00 EUR" in page.text
    assert "<svg" in page.text
    assert 'data-series="gift"' in page.text
    form = {
        "amount": "25.50",
        "currency": "EUR",
        "details": '=HYPERLINK("http://evil")',
        "request_key": _form_key(page.text),
    }
    sent = await post_form(nv_client, "/earnings/payout", form)
    assert sent.status_code == 303
    # The same form again (a double click): still one request, one hold.
    again = await post_form(nv_client, "/earnings/payout", form)
    assert again.status_code == 303
    assert await Payout.count() == 1
    assert await balance(acc.earnings(cara.id, "EUR")) == 4000 - 2550
    page = await nv_client.get("/earnings?requested=1", headers=HTML)
    assert "waiting for approval" in page.text
    # The creator cannot reach the operator's pages.
    for url in (
        "/admin/payouts",
        "/admin/payouts/unpaid.csv",
        "/admin/revenue",
        "/admin/revenue/export.csv",
    ):
        assert (await nv_client.get(url, headers=HTML)).status_code == 403
    (payout,) = await Payout.objects()
    forbidden = await post_form(nv_client, f"/admin/payouts/{payout.id}/approve", {})
    assert forbidden.status_code == 403
    refused = await post_form(nv_client, f"/admin/payouts/{payout.id}/reject", {"reason": "x"})
    assert refused.status_code == 403
    assert (
        await post_form(nv_client, "/admin/payouts/mark-paid", {"payout": str(payout.id)})
    ).status_code == 403
    await post_form(nv_client, "/logout", {})

    await login(nv_client, "root")
    queue = await nv_client.get("/admin/payouts", headers=HTML)
    assert "cara" in queue.text
    assert "25.50 EUR" in queue.text
    approved = await post_form(nv_client, f"/admin/payouts/{payout.id}/approve", {})
    assert approved.status_code == 303
    assert (
        "in the CSV until you mark it paid"
        in (await nv_client.get(approved.headers["location"], headers=HTML)).text
    )
    twice = await post_form(nv_client, f"/admin/payouts/{payout.id}/approve", {})
    assert twice.status_code == 409
    assert "already approved" in twice.text
    exported = await nv_client.get("/admin/payouts/unpaid.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:4] == ["payout", "member", "amount", "currency"]
    assert rows[1][1:4] == ["cara", "25.50", "EUR"]
    # A formula typed as payout details reaches the spreadsheet as text.
    assert rows[1][4] == '\'=HYPERLINK("http://evil")'
    nothing = await post_form(nv_client, "/admin/payouts/mark-paid", {})
    assert nothing.status_code == 400
    assert "Tick the payouts" in nothing.text
    paid = await post_form(nv_client, "/admin/payouts/mark-paid", {"payout": str(payout.id)})
    assert paid.status_code == 303
    rows = list(csv.reader(io.StringIO((await nv_client.get("/admin/payouts/unpaid.csv")).text)))
    assert len(rows) == 1
    await post_form(nv_client, "/logout", {})

    await login(nv_client, "cara")
    page = await nv_client.get("/earnings", headers=HTML)
    assert f'data-payout="{payout.id}" data-status="paid"' in page.text


async def test_bad_payout_forms_show_what_to_do(
    nv_client: Any, nv_resources: Any, make_user: Any, fund: Any
) -> None:
    cara = await make_user("cara")
    await _earn(nv_resources, make_user, fund, cara, 5000)
    await login(nv_client, "cara")
    key = _form_key((await nv_client.get("/earnings", headers=HTML)).text)
    cases = [
        ({"amount": "40.01", "currency": "EUR"}, 409, "at most 40.00 EUR"),
        ({"amount": "9.99", "currency": "EUR"}, 400, "smallest payout is 10.00 EUR"),
        ({"amount": "-20", "currency": "EUR"}, 400, "more than zero"),
        ({"amount": "12.345", "currency": "EUR"}, 400, "EUR has 2 decimals"),
        ({"amount": "ten", "currency": "EUR"}, 400, "ten"),
        ({"amount": "20", "currency": "XYZ"}, 400, "XYZ is not a currency of this site"),
    ]
    for fields, status, message in cases:
        answer = await post_form(
            nv_client,
            "/earnings/payout",
            {**fields, "details": "PayPal cara@example.org", "request_key": key},
        )
        assert answer.status_code == status, fields
        assert message in answer.text, (fields, answer.text[-800:])
    assert await Payout.count() == 0
    assert await balance(acc.earnings(cara.id, "EUR")) == 4000
    bad = await nv_client.get("/earnings?days=11", headers=HTML)
    assert bad.status_code == 400
    assert "Choose a period of 7, 30, 90, 365 days." in bad.text


async def test_the_operator_rejects_with_a_reason_the_creator_reads(
    nv_client: Any, nv_resources: Any, make_user: Any, fund: Any
) -> None:
    cara = await make_user("cara")
    await make_user("root", role="admin")
    await _earn(nv_resources, make_user, fund, cara, 5000)
    outcome = await payouts.request(
        nv_resources.settings,
        user_id=cara.id,
        amount=3000,
        unit="EUR",
        details="IBAN",
        request_key="reject-me-please",
    )
    await login(nv_client, "root")
    empty = await post_form(nv_client, f"/admin/payouts/{outcome.payout.id}/reject", {})
    assert empty.status_code == 400
    assert "Say why" in empty.text
    done = await post_form(
        nv_client,
        f"/admin/payouts/{outcome.payout.id}/reject",
        {"reason": "Please give an IBAN, not just the word."},
    )
    assert done.status_code == 303
    assert await balance(acc.earnings(cara.id, "EUR")) == 4000
    await post_form(nv_client, "/logout", {})
    await login(nv_client, "cara")
    page = await nv_client.get("/earnings", headers=HTML)
    assert "Please give an IBAN, not just the word." in page.text
    assert "rejected" in page.text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "payout_minimum must be 1 or more"),
        ({"EUR": 500}, "must name exactly the currencies"),
        ({"EUR": 500, "USD": 0}, "payout_minimum for USD must be 1 or more"),
        ("ten", "payout_minimum"),
    ],
)
def test_bad_payout_minimum_stops_start_up(
    nv_settings_factory: Callable[..., Any], value: Any, message: str
) -> None:
    section = {"currencies": ["EUR", "USD"], "payout_minimum": value}
    with pytest.raises(ConfigError, match=message):
        create_app(nv_settings_factory(plugin={"payments": section}))


async def test_a_minimum_per_currency(
    nv_settings_factory: Callable[..., Any], nv_resources: Any, make_user: Any, fund: Any
) -> None:
    from nichevid.payments.settings import payment_settings

    settings = nv_settings_factory(
        plugin={
            "payments": {"currencies": ["EUR", "USD"], "payout_minimum": {"EUR": 500, "usd": 2500}}
        }
    )
    config = payment_settings(settings)
    assert (config.minimum_payout("EUR"), config.minimum_payout("USD")) == (500, 2500)
    cara = await make_user("cara")
    await _earn(nv_resources, make_user, fund, cara, 5000)
    outcome = await payouts.request(
        settings, user_id=cara.id, amount=500, unit="EUR", details="IBAN", request_key="k" * 12
    )
    assert outcome.payout.status == "pending"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-cmd", "'-cmd"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("-12.50", "-12.50"),
        ("IBAN DE89", "IBAN DE89"),
        (42, "42"),
    ],
)
def test_csv_cells_are_formula_safe(value: Any, cell: str) -> None:
    assert safe_cell(value) == cell
