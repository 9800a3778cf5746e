"""Signed postbacks book the creator's commission and the platform's cut exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import earnings
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.tables import LedgerTransaction
from nichevid_affiliates.tables import Click, Conversion

from .conftest import signed
from .test_cards_and_redirect import SHOP, attach

URL = "/affiliates/postback"


@pytest.fixture
async def token(nv_client: Any, people: dict[str, Any], video: Any) -> str:
    """The click token a visitor's click on Cara's link carried to the shop."""
    (link_id,) = await attach(video, ("Yarn", SHOP))
    await nv_client.get(f"/go/{link_id}")
    (click,) = await Click.objects()
    return str(click.token)


async def send(client: Any, payload: Any, **kwargs: Any) -> Any:
    body, headers = signed(payload, **kwargs)
    return await client.post(URL, content=body, headers=headers)


async def test_a_sale_books_the_creators_share_and_the_cut_once(
    nv_client: Any, people: dict[str, Any], token: str
) -> None:
    sale = {"click": token, "amount": 1250, "currency": "EUR", "order": "A-1001"}
    booked = await send(nv_client, sale)
    assert booked.status_code == 200, booked.text
    assert booked.json() == {
        "status": "booked",
        "order": "A-1001",
        "creator_share": 1000,
        "platform_share": 250,
    }
    cara = people["cara"].id
    assert await balance(acc.earnings(cara, "EUR")) == 1000
    assert await balance(acc.platform("EUR")) == 250
    assert await balance(acc.clearing("affiliates", "EUR")) == -1250
    again = await send(nv_client, sale)
    assert again.status_code == 200
    assert again.json()["status"] == "already booked"
    assert await balance(acc.earnings(cara, "EUR")) == 1000
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "affiliates") == 1
    assert await Conversion.count() == 1
    # The same order with other details is refused and books nothing.
    other = await send(nv_client, {**sale, "amount": 9999})
    assert other.status_code == 409
    assert "already booked with other details" in other.json()["error"]
    # The earnings show it as its own stream.
    series = await earnings.creator_series(cara, "EUR", 7, "day")
    assert series.totals["affiliates"] == 1000
    lines = {line.stream: line for line in (await earnings.revenue(30)).streams}
    assert (lines["affiliates"].gross, lines["affiliates"].platform) == (1250, 250)
    assert (await check()).ok


async def test_a_reversal_undoes_the_booking_once(
    nv_client: Any, people: dict[str, Any], token: str
) -> None:
    sale = {"click": token, "amount": 500, "currency": "USD", "order": "B-7"}
    assert (await send(nv_client, sale)).status_code == 200
    refund = {"click": token, "order": "B-7", "status": "reversed"}
    undone = await send(nv_client, refund)
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "reversed"
    assert await balance(acc.earnings(people["cara"].id, "USD")) == 0
    assert await balance(acc.platform("USD")) == 0
    again = await send(nv_client, refund)
    assert again.json()["status"] == "already reversed"
    assert await LedgerTransaction.count().where(LedgerTransaction.reverses.is_not_null()) == 1
    (conversion,) = await Conversion.objects()
    assert conversion.status == "reversed"
    unknown = await send(nv_client, {**refund, "order": "nope"})
    assert unknown.status_code == 404
    assert "no booked order nope" in unknown.json()["error"]
    lines = {line.stream: line for line in (await earnings.revenue(30)).streams}
    assert lines["affiliates"].net == 0
    assert (await check()).ok


BAD = [
    ({"amount": -5}, 400, "must be more than 0"),
    ({"amount": 0}, 400, "must be more than 0"),
    ({"amount": 12.5}, 400, "whole number of minor units"),
    ({"amount": "1250"}, 400, "whole number of minor units"),
    ({"amount": True}, 400, "whole number of minor units"),
    ({"currency": "GBP"}, 400, "one of the currencies this site takes: EUR, USD"),
    ({"currency": None}, 400, "one of the currencies this site takes"),
    ({"order": ""}, 400, '"order" must be'),
    ({"order": "x" * 101}, 400, '"order" must be'),
    ({"click": "zz"}, 400, '"click" must be'),
    ({"click": "unknownclicktoken"}, 404, "There is no click unknownclicktoken"),
    ({"status": "pending"}, 400, '"status" must be'),
]


@pytest.mark.parametrize(("change", "status", "message"), BAD)
async def test_bad_postbacks_book_nothing(
    nv_client: Any, token: str, change: dict[str, Any], status: int, message: str
) -> None:
    sale = {"click": token, "amount": 1250, "currency": "EUR", "order": "C-1", **change}
    answer = await send(nv_client, sale)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert await LedgerTransaction.count() == 0
    assert await Conversion.count() == 0


async def test_signatures_and_bodies_are_checked(nv_client: Any, token: str) -> None:
    sale = {"click": token, "amount": 1250, "currency": "EUR", "order": "D-1"}
    body, headers = signed(sale)
    missing = await nv_client.post(URL, content=body, headers={"content-type": "application/json"})
    assert missing.status_code == 401
    assert "X-Affiliate-Signature header is missing" in missing.json()["error"]
    wrong = await send(nv_client, sale, secret="guessed")
    assert wrong.status_code == 401
    assert "signature does not match" in wrong.json()["error"]
    # A body changed after signing fails too.
    tampered = await nv_client.post(URL, content=body.replace(b"1250", b"9250"), headers=headers)
    assert tampered.status_code == 401
    # The bare hex digest (without sha256=) is accepted.
    bare = {**headers, "x-affiliate-signature": headers["x-affiliate-signature"][7:]}
    malformed, malformed_headers = signed(b"{not json")
    broken = await nv_client.post(URL, content=malformed, headers=malformed_headers)
    assert broken.status_code == 400
    assert "not valid JSON" in broken.json()["error"]
    listed, list_headers = signed([sale])
    assert (await nv_client.post(URL, content=listed, headers=list_headers)).status_code == 400
    assert await LedgerTransaction.count() == 0
    ok = await nv_client.post(URL, content=body, headers=bare)
    assert ok.status_code == 200


async def test_postbacks_are_off_without_a_secret(nv_client: Any, token: str) -> None:
    config = nv_client.app.state.settings.plugin["affiliates"]["_parsed"]
    kept = config.postback_secret
    from nichevid.settings import Secret

    config.postback_secret = Secret("")
    try:
        answer = await send(
            nv_client, {"click": token, "amount": 1, "currency": "EUR", "order": "E"}
        )
    finally:
        config.postback_secret = kept
    assert answer.status_code == 503
    assert "postback_secret" in answer.json()["error"]
    assert await LedgerTransaction.count() == 0
