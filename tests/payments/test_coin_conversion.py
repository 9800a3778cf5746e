"""Creators turn earned coins into money they can be paid out, at the site's value of coins."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import earnings, moves
from nichevid.payments.check import check
from nichevid.payments.ledger import InvalidTransaction, Overdraft, balance
from nichevid.settings import ConfigError
from tests.accounts.conftest import login, post_form

HTML = {"accept": "text/html"}


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """EUR and USD, a 20 % cut, and 100 earned coins worth 0.50 EUR (nothing in USD)."""
    return nv_settings_factory(
        plugin={
            "payments": {
                "currencies": ["EUR", "USD"],
                "platform_cut_percent": 20,
                "coin_value_per_hundred": {"eur": 50},
                "payout_minimum": 500,
            }
        }
    )


async def _coins_earned(nv_resources: Any, make_user: Any, fund: Any, creator: Any) -> None:
    """A fan buys 1,250 coins for 10 EUR and gifts them all: the creator earns 1,000."""
    fan = await make_user(f"fan{creator.id}")
    await moves.top_up(
        nv_resources.settings,
        provider="test",
        user_id=fan.id,
        paid=1000,
        currency="EUR",
        credit=1250,
        credit_unit="coins",
        idempotency_key=f"buy:{fan.id}",
    )
    await moves.spend(
        nv_resources.settings,
        payer=fan.id,
        payee=creator.id,
        amount=1250,
        unit="coins",
        kind="gift",
        idempotency_key=f"gift:{fan.id}",
    )


async def test_converting_moves_coins_to_money_and_keeps_the_books(
    nv_resources: Any, make_user: Any, fund: Any
) -> None:
    settings = nv_resources.settings
    cara = await make_user("cara")
    await _coins_earned(nv_resources, make_user, fund, cara)
    assert await balance(acc.earnings(cara.id, "coins")) == 1000
    posted = await moves.convert_coins(
        settings, user_id=cara.id, coins=600, currency="EUR", idempotency_key="c1"
    )
    assert await balance(acc.earnings(cara.id, "coins")) == 400
    assert await balance(acc.earnings(cara.id, "EUR")) == 300
    # The platform took 10 EUR for the coins and pays 3 EUR of it to the creator.
    assert await balance(acc.platform("EUR")) == 700
    again = await moves.convert_coins(
        settings, user_id=cara.id, coins=600, currency="EUR", idempotency_key="c1"
    )
    assert again.replayed
    assert again.id == posted.id
    assert await balance(acc.earnings(cara.id, "EUR")) == 300
    report = await check()
    assert report.ok, report
    # The earnings chart names the stream.
    series = await earnings.creator_series(cara.id, "EUR", 7, "day")
    assert series.totals["coin_conversion"] == 300


async def test_bad_conversions_are_refused_and_move_nothing(
    nv_resources: Any, make_user: Any, fund: Any
) -> None:
    settings = nv_resources.settings
    cara = await make_user("cara")
    await _coins_earned(nv_resources, make_user, fund, cara)
    with pytest.raises(Overdraft):
        await moves.convert_coins(
            settings, user_id=cara.id, coins=1001, currency="EUR", idempotency_key="big"
        )
    for coins, currency, message in [
        (100, "USD", "cannot be converted to USD"),
        (1, "EUR", "less than one minor unit"),
        (0, "EUR", "coins to convert"),
        (-5, "EUR", "coins to convert"),
        (100, "coins", "not to coins"),
        (100, "XYZ", "XYZ"),
    ]:
        with pytest.raises(InvalidTransaction, match=message):
            await moves.convert_coins(
                settings, user_id=cara.id, coins=coins, currency=currency, idempotency_key="x"
            )
    assert await balance(acc.earnings(cara.id, "coins")) == 1000
    assert await balance(acc.earnings(cara.id, "EUR")) == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [({"GBP": 50}, "not in plugin.payments.currencies"), ({"EUR": 0}, "must be 1 or more")],
)
def test_bad_coin_values_stop_start_up(
    nv_settings_factory: Callable[..., Any], value: dict[str, int], message: str
) -> None:
    from nichevid.app import create_app

    settings = nv_settings_factory(plugin={"payments": {"coin_value_per_hundred": value}})
    with pytest.raises(ConfigError, match=message):
        create_app(settings)


async def test_a_creator_converts_on_the_earnings_page_and_asks_for_a_payout(
    nv_client: Any, nv_resources: Any, make_user: Any, fund: Any
) -> None:
    cara = await make_user("cara")
    await _coins_earned(nv_resources, make_user, fund, cara)
    await login(nv_client, "cara")
    page = await nv_client.get("/earnings", headers=HTML)
    assert 'id="nv-convert"' in page.text
    assert "0.50" in page.text
    for form, status, text in [
        ({"coins": "lots", "currency": "EUR"}, 400, "whole number"),
        ({"coins": "100", "currency": "USD"}, 400, "cannot be converted to USD"),
        ({"coins": "1", "currency": "EUR"}, 400, "convert more"),
        ({"coins": "5000", "currency": "EUR"}, 409, "You have 1000 earned coins"),
    ]:
        refused = await post_form(nv_client, "/earnings/convert", form, headers=HTML)
        assert refused.status_code == status, (form, refused.text[-400:])
        assert text in refused.text
    assert await balance(acc.earnings(cara.id, "coins")) == 1000
    done = await post_form(
        nv_client,
        "/earnings/convert",
        {"coins": "1000", "currency": "EUR", "request_key": "convert-key-0123456789"},
    )
    assert done.status_code == 303
    assert await balance(acc.earnings(cara.id, "EUR")) == 500
    asked = await post_form(
        nv_client,
        "/earnings/payout",
        {
            "amount": "5.00",
            "currency": "EUR",
            "details": "IBAN X",
            "request_key": "payout-key-0123456789",
        },
        headers=HTML,
    )
    assert asked.status_code == 303, re.findall(r"nv-error[^<]*<", asked.text)
    assert await balance(acc.payouts(cara.id, "EUR")) == 500


async def test_a_conversion_form_sent_again_converts_once(
    nv_client: Any, nv_resources: Any, make_user: Any, fund: Any
) -> None:
    cara = await make_user("cara")
    await _coins_earned(nv_resources, make_user, fund, cara)
    await login(nv_client, "cara")
    form = {"coins": "400", "currency": "EUR", "request_key": "convert-key-0123456789"}
    assert (await post_form(nv_client, "/earnings/convert", form)).status_code == 303
    assert (await post_form(nv_client, "/earnings/convert", form)).status_code == 303
    assert await balance(acc.earnings(cara.id, "coins")) == 600
    changed = await post_form(
        nv_client, "/earnings/convert", {**form, "coins": "500"}, headers=HTML
    )
    assert changed.status_code == 409
    assert "sent already with other values" in changed.text
    assert await balance(acc.earnings(cara.id, "coins")) == 600
    assert await balance(acc.earnings(cara.id, "EUR")) == 200
