"""Payouts in real browsers: a creator with earnings asks for a payout, an operator
approves it, exports it as CSV and marks it paid, and the creator sees it paid."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import instance_with_people, people_pages, shot

pytestmark = pytest.mark.e2e

PEOPLE = {"maker": "creator", "fan": "member", "boss": "admin"}

# Posted with the ledger API against the instance's own database: the fan is credited
# 50.00 EUR as a provider would, then sends it all to the maker as a gift.
EARN = """
import asyncio
from nichevid.accounts.tables import User
from nichevid.payments import accounts, moves
from nichevid.payments.ledger import Entry, Transaction, post
from nichevid.plugins import make_plugin_manager
from nichevid.runtime import close_resources, open_resources
from nichevid.settings import load_settings


async def main() -> None:
    settings = load_settings()
    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        ids = {r["username"]: r["id"] for r in await User.select(User.id, User.username)}
        wallet = accounts.wallet(ids["fan"], "EUR")
        entries = [Entry(accounts.clearing("test", "EUR"), -5000), Entry(wallet, 5000)]
        await post(settings, Transaction("top_up", "e2e-fund", entries))
        await moves.spend(
            settings, payer=ids["fan"], payee=ids["maker"], amount=5000, unit="EUR",
            kind="gift", idempotency_key="e2e-gift",
        )
    finally:
        await close_resources(resources)


asyncio.run(main())
"""


@pytest.fixture(scope="module")
def pay_server(
    nv_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """An instance of its own, its three people, and the maker's earnings."""
    with instance_with_people(
        nv_services, tmp_path_factory.mktemp("e2e-payouts-data"), "e2e_payouts", 11, PEOPLE
    ) as server:
        earned = subprocess.run(
            [sys.executable, "-c", EARN],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert earned.returncode == 0, earned.stdout + earned.stderr
        yield server


async def test_a_payout_from_request_to_paid(
    browser: Any, pay_server: Any, request: pytest.FixtureRequest
) -> None:
    url = pay_server.url
    async with people_pages(browser, url) as person:
        await _request_approve_and_pay(
            await person("maker"), await person("boss"), pay_server, request
        )


async def _request_approve_and_pay(
    maker: Any, boss: Any, pay_server: Any, request: pytest.FixtureRequest
) -> None:
    url = pay_server.url
    await maker.goto(url + "/earnings")
    await maker.wait_for_selector('#nv-earnings li[data-unit="EUR"]:has-text("40.00 EUR")')
    assert await maker.locator("svg.nv-chart rect[data-series=gift]").count() >= 1
    await maker.fill("input[name=amount]", "25")
    await maker.select_option("select[name=currency]", "EUR")
    await maker.fill("input[name=details]", "IBAN DE89 3704 0044 0532 0130 00")
    await maker.click("text=Ask for payout")
    await maker.wait_for_selector("#nv-payouts tr[data-status=pending]")
    await maker.wait_for_selector('#nv-earnings li[data-unit="EUR"]:has-text("15.00 EUR")')
    await shot(maker, request, "requested")

    await boss.goto(url + "/admin/payouts")
    row = boss.locator("#nv-pending tr", has_text="maker")
    await row.locator("button", has_text="Approve").click()
    await boss.wait_for_selector('#nv-approved tr:has-text("25.00 EUR")')
    exported = await boss.request.get(url + "/admin/payouts/unpaid.csv")
    assert exported.ok
    rows = list(csv.reader(io.StringIO(await exported.text())))
    assert rows[1][1:5] == ["maker", "25.00", "EUR", "IBAN DE89 3704 0044 0532 0130 00"]
    await boss.locator("#nv-approved input[type=checkbox]").check()
    await boss.click("text=Mark as paid")
    await boss.wait_for_selector("text=Nothing approved is waiting to be sent.")
    await shot(boss, request, "paid")

    await maker.goto(url + "/earnings")
    await maker.wait_for_selector("#nv-payouts tr[data-status=paid]")
    assert "paid" in await maker.locator("#nv-payouts tr[data-status=paid]").inner_text()
    checked = pay_server.cli("ledger", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
