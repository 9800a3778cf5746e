"""The gift pages over HTTP: buying a coin pack, the picker, sending, receipts, profiles."""

from __future__ import annotations

import re
from typing import Any

from nichevid.payments import accounts as acc
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.tables import Checkout
from nichevid_gifts import nonprofits
from nichevid_gifts.tables import Gift
from tests.accounts.conftest import login
from tests.moderation.conftest import form

HX = {"HX-Request": "true"}


async def test_buying_a_coin_pack_with_the_test_provider_credits_coins(
    nv_client: Any, people: dict[str, Any]
) -> None:
    await login(nv_client, "ann")
    page = await nv_client.get("/gifts/")
    assert page.status_code == 200
    assert "Test payments: no money moves" in page.text
    assert "100 coins for 0.99 EUR" in page.text
    bought = await form(nv_client, "/gifts/buy", {"pack": "big", "provider": "test"})
    assert bought.status_code == 303
    token = bought.headers["location"].rsplit("/", 1)[-1]
    row = await Checkout.objects().where(Checkout.token == token).first()
    assert row is not None
    assert (row.amount, row.currency, row.credit_amount, row.credit_unit, row.product) == (
        899,
        "EUR",
        1000,
        "coins",
        "coins:big",
    )
    confirmed = await form(nv_client, f"/payments/test/{token}/confirm", {})
    assert confirmed.status_code == 303
    assert await balance(acc.wallet(people["ann"].id, "coins")) == 1000
    assert await balance(acc.platform("EUR")) == 899
    assert 'data-coins="1000"' in (await nv_client.get("/gifts/")).text
    # The wallet page points to the coins page.
    assert 'href="/gifts"' in (await nv_client.get("/wallet/")).text


async def test_unknown_packs_and_providers_are_refused(
    nv_client: Any, people: dict[str, Any]
) -> None:
    await login(nv_client, "ann")
    unknown = await form(nv_client, "/gifts/buy", {"pack": "huge", "provider": "test"})
    assert unknown.status_code == 400
    assert "Choose one of the coin packs offered." in unknown.text
    nobody = await form(nv_client, "/gifts/buy", {"pack": "small", "provider": "nope"})
    assert nobody.status_code == 400
    assert "Choose one of the payment methods offered." in nobody.text
    assert await Checkout.count() == 0


async def test_send_from_the_feed_card_shows_the_animation(
    nv_client: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    await fund(people["ann"].id, 30)
    feed = await nv_client.get("/")
    assert f'hx-get="/gifts/to/v/{video.slug}"' in feed.text
    assert 'id="nv-gift-sheet"' in feed.text
    # Signed out, the picker asks to log in.
    signed_out = await nv_client.get(f"/gifts/to/v/{video.slug}", headers=HX)
    assert "Log in to send gifts." in signed_out.text
    await login(nv_client, "ann")
    picker = await nv_client.get(f"/gifts/to/v/{video.slug}", headers=HX)
    assert picker.status_code == 200
    assert "<html" not in picker.text
    assert 'value="rose"' in picker.text
    assert "/static/plugins/gifts/icons/rose.svg" in picker.text
    data = {"send_id": "feed-send-1", "gift": "coffee", "count": "2", "video": video.slug}
    sent = await form(nv_client, "/gifts/send", data, headers=HX)
    assert sent.status_code == 200, sent.text
    assert "nv-gift-anim--float" in sent.text
    assert "You sent 2 × Coffee to @cara." in sent.text
    assert 'data-coins="10"' in sent.text
    # The same send again (a retried request) changes nothing.
    again = await form(nv_client, "/gifts/send", data, headers=HX)
    assert again.status_code == 200
    assert await balance(acc.wallet(people["ann"].id, "coins")) == 10
    # The same send id with another body: 409 and the picker says why.
    other = await form(nv_client, "/gifts/send", {**data, "count": "1"}, headers=HX)
    assert other.status_code == 409
    assert "already used" in other.text
    assert await Gift.count() == 1


async def test_refusals_over_http(
    nv_client: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    await fund(people["ann"].id, 5)
    await login(nv_client, "ann")
    base = {"gift": "rose", "count": "1", "video": video.slug}
    cases = [
        ({"send_id": "http-0001", "gift": "crown"}, 409, "too few coins"),
        ({"send_id": "http-0002", "count": "-2"}, 400, "at least one"),
        ({"send_id": "http-0003", "count": "1.5"}, 400, "whole number"),
        ({"send_id": "http-0004", "gift": "unicorn"}, 404, "no such gift"),
        ({"send_id": "http-0005", "video": "", "to": "ann"}, 400, "yourself"),
        ({"send_id": "x"}, 400, "valid id"),
    ]
    for change, status, words in cases:
        answer = await form(nv_client, "/gifts/send", {**base, **change}, headers=HX)
        assert answer.status_code == status, (change, answer.text)
        assert words in answer.text, change
    poor = await form(nv_client, "/gifts/send", {**base, "send_id": "http-0006", "gift": "crown"})
    assert poor.status_code == 409
    assert 'href="/gifts">Buy coins' in poor.text
    assert await Gift.count() == 0
    assert await balance(acc.wallet(people["ann"].id, "coins")) == 5


async def test_signed_out_sends_are_sent_to_log_in(nv_client: Any, video: Any) -> None:
    answer = await form(
        nv_client, "/gifts/send", {"send_id": "anon-0001", "gift": "rose", "video": video.slug}
    )
    assert answer.status_code in (302, 303, 307)
    assert answer.headers["location"].startswith("/login")


async def test_profile_gift_and_top_gifters(
    nv_client: Any, people: dict[str, Any], fund: Any
) -> None:
    await fund(people["ann"].id, 100)
    await fund(people["bob"].id, 100)
    await login(nv_client, "ann")
    profile = await nv_client.get("/u/cara")
    assert 'hx-get="/gifts/to/u/cara"' in profile.text
    assert 'hx-get="/gifts/to/u/ann"' not in (await nv_client.get("/u/ann")).text
    sent = await form(
        nv_client, "/gifts/send", {"send_id": "prof-0001", "gift": "star", "to": "cara"}
    )
    assert sent.status_code == 200, sent.text
    assert "You sent 1 × Star to @cara." in sent.text
    await nv_client.post("/logout", headers={"x-csrftoken": nv_client.cookies.get("nv_csrf")})
    nv_client.cookies.clear()
    await login(nv_client, "bob")
    await form(nv_client, "/gifts/send", {"send_id": "prof-0002", "gift": "heart", "to": "cara"})
    # Hidden until the creator chooses to show it.
    assert "Top gifters" not in (await nv_client.get("/u/cara")).text
    nv_client.cookies.clear()
    await login(nv_client, "cara")
    await form(nv_client, "/gifts/choices", {"show_top_gifters": "on"})
    listed = (await nv_client.get("/u/cara")).text
    assert "Top gifters" in listed
    assert re.search(r"@ann</a> · 50 coins.*@bob</a> · 5 coins", listed, re.S)
    earned = await nv_client.get("/gifts/")
    assert 'data-earned="44"' in earned.text


async def test_donations_get_a_printable_receipt(
    nv_client: Any, people: dict[str, Any], fund: Any
) -> None:
    charity = people["bob"]
    await nonprofits.mark("bob", "Knitters Without Borders", "RN-1234")
    await fund(people["ann"].id, 20)
    await login(nv_client, "ann")
    sent = await form(
        nv_client, "/gifts/send", {"send_id": "dona-0001", "gift": "coffee", "to": charity.username}
    )
    assert sent.status_code == 200, sent.text
    assert "You donated 1 × Coffee to @bob." in sent.text
    number = re.search(r"/gifts/receipts/(DON-\d{4}-\d{6})", sent.text)
    assert number is not None
    (gift,) = await Gift.objects()
    assert gift.kind == "donation"
    receipt = await nv_client.get(f"/gifts/receipts/{number[1]}")
    assert receipt.status_code == 200
    for text in (number[1], "10 coins", "Knitters Without Borders (RN-1234)", "@ann", "Print"):
        assert text in receipt.text
    assert "void" not in receipt.text
    # Only the donor (and operators) see it.
    nv_client.cookies.clear()
    await login(nv_client, "cara")
    assert (await nv_client.get(f"/gifts/receipts/{number[1]}")).status_code == 404
    assert (await check()).ok


async def test_the_picker_and_its_refusals_speak_the_readers_language(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    await login(nv_client, "ann")
    spanish = {**HX, "accept-language": "es"}
    picker = await nv_client.get(f"/gifts/to/v/{video.slug}", headers=spanish)
    assert "Enviar un regalo" in picker.text
    assert "<span>Rosa</span>" in picker.text
    poor = await form(
        nv_client,
        "/gifts/send",
        {"send_id": "es-send-01", "gift": "rose", "video": video.slug},
        headers=spanish,
    )
    assert poor.status_code == 409
    assert "No tienes suficientes monedas" in poor.text
