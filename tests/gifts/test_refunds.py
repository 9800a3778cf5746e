"""Undoing gifts and settling coin packs refunded after their coins were spent."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import checkout, events
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.providers import provider
from nichevid.payments.tables import PaymentEvent
from nichevid.payments.test_provider import SIGNATURE_HEADER
from nichevid_gifts import nonprofits, receipts, refunds, sending
from nichevid_gifts.errors import GiftError
from nichevid_gifts.tables import Gift
from tests.accounts.conftest import login
from tests.moderation.conftest import form


async def buy_coins(resources: Any, user: Any, coins: int = 100, price: int = 99) -> Any:
    """A paid coin pack, through the test provider's signed webhook."""
    row, _ = await checkout.start(
        resources,
        user_id=user.id,
        provider_name="test",
        amount=price,
        currency="EUR",
        credit=coins,
        credit_unit="coins",
    )
    await deliver(resources, "payment.succeeded", row)
    return row


async def deliver(resources: Any, type_: str, row: Any) -> list[str]:
    chosen = provider(resources, "test")
    body = chosen.notification(type_, row.token, row.amount, row.currency)
    return await events.receive(resources, "test", body, {SIGNATURE_HEADER: chosen.sign(body)})


async def test_operator_reverses_one_gift_from_the_admin_page(
    nv_client: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    resources = nv_client.app.state.resources
    ann, cara = people["ann"], people["cara"]
    await fund(ann.id, 100)
    sent = await sending.send(
        resources,
        sender=ann,
        send_id="undo-0001",
        item_key="star",
        count=1,
        target=sending.Target(video_slug=video.slug),
    )
    await login(nv_client, "ann")
    assert (await nv_client.get("/admin/gifts/")).status_code in (403, 404)
    nv_client.cookies.clear()
    await login(nv_client, "root")
    page = await nv_client.get("/admin/gifts/")
    assert page.status_code == 200
    assert f'action="/admin/gifts/{sent.gift.id}/reverse"' in page.text
    done = await form(nv_client, f"/admin/gifts/{sent.gift.id}/reverse", {"kind": "chargeback"})
    assert done.status_code == 303
    assert await balance(acc.wallet(ann.id, "coins")) == 100
    assert await balance(acc.earnings(cara.id, "coins")) == 0
    assert await balance(acc.platform("coins")) == 0
    gift = await Gift.objects().where(Gift.id == sent.gift.id).first()
    assert gift is not None
    assert gift.status == "reversed"
    # Twice is once; an unknown gift is a clear 404.
    await form(nv_client, f"/admin/gifts/{sent.gift.id}/reverse", {})
    assert await balance(acc.wallet(ann.id, "coins")) == 100
    missing = await form(nv_client, "/admin/gifts/999999/reverse", {})
    assert missing.status_code == 404
    assert "There is no such gift." in missing.text
    assert (await check()).ok


async def test_a_gift_whose_earnings_were_paid_out_cannot_be_reversed(
    nv_resources: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    from nichevid.payments.ledger import Entry, Transaction, post

    ann, cara = people["ann"], people["cara"]
    await fund(ann.id, 10)
    sent = await sending.send(
        nv_resources,
        sender=ann,
        send_id="paid-out-01",
        item_key="coffee",
        count=1,
        target=sending.Target(video_slug=video.slug),
    )
    # The creator's 8 coins left their earnings (a payout).
    await post(
        nv_resources.settings,
        Transaction(
            "payout",
            "payout:test",
            [Entry(acc.earnings(cara.id, "coins"), -8), Entry(acc.platform("coins"), 8)],
        ),
    )
    with pytest.raises(GiftError, match="Settle it by hand") as caught:
        await refunds.reverse_gift(nv_resources, sent.gift.id)
    assert caught.value.status == 409
    assert await balance(acc.wallet(ann.id, "coins")) == 0
    gift = await Gift.objects().where(Gift.id == sent.gift.id).first()
    assert gift is not None
    assert gift.status == "sent"


async def test_reversing_a_donation_voids_its_receipt(
    nv_resources: Any, people: dict[str, Any], fund: Any
) -> None:
    await nonprofits.mark("bob", "Yarn Aid", "")
    await fund(people["ann"].id, 10)
    sent = await sending.send(
        nv_resources,
        sender=people["ann"],
        send_id="donate-undo",
        item_key="rose",
        count=3,
        target=sending.Target(username="bob"),
    )
    assert sent.receipt
    await refunds.reverse_gift(nv_resources, sent.gift.id)
    receipt = await receipts.get(sent.receipt)
    assert receipt is not None
    assert receipt.void


async def test_a_coin_pack_refunded_before_spending_is_reversed_by_the_core(
    nv_resources: Any, people: dict[str, Any]
) -> None:
    ann = people["ann"]
    row = await buy_coins(nv_resources, ann)
    assert await balance(acc.wallet(ann.id, "coins")) == 100
    assert await deliver(nv_resources, "payment.refunded", row) == ["applied"]
    assert await balance(acc.wallet(ann.id, "coins")) == 0
    assert await refunds.to_settle() == []


async def test_a_coin_pack_refunded_after_gifts_is_settled_by_the_operator(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    resources = nv_client.app.state.resources
    ann, cara = people["ann"], people["cara"]
    row = await buy_coins(resources, ann, coins=100, price=99)
    await sending.send(
        resources,
        sender=ann,
        send_id="spent-0001",
        item_key="star",
        count=1,
        target=sending.Target(video_slug=video.slug),
    )
    # The provider pays the pack back: the core cannot take back 100 coins from 50.
    assert await deliver(resources, "payment.refunded", row) == ["refused"]
    assert await balance(acc.wallet(ann.id, "coins")) == 50
    (waiting,) = await refunds.to_settle()
    assert (waiting.coins, waiting.coins_left, waiting.coins_spent) == (100, 50, 50)
    await login(nv_client, "root")
    page = await nv_client.get("/admin/gifts/")
    assert f'data-settle="{waiting.event_id}"' in page.text
    done = await form(nv_client, f"/admin/gifts/settle/{waiting.event_id}", {})
    assert done.status_code == 303
    # The money went back out of platform revenue; the 50 coins left were taken back;
    # the gift stands, so the creator keeps their 40 coins.
    assert await balance(acc.platform("EUR")) == 0
    assert await balance(acc.clearing("test", "EUR")) == 0
    assert await balance(acc.wallet(ann.id, "coins")) == 0
    assert await balance(acc.earnings(cara.id, "coins")) == 40
    assert await refunds.to_settle() == []
    event = await PaymentEvent.objects().where(PaymentEvent.id == waiting.event_id).first()
    assert event is not None
    assert event.status == "applied"
    assert "settled by the operator" in event.note
    assert (await checkout.get(row.token)).status == "refunded"  # type: ignore[union-attr]
    again = await form(nv_client, f"/admin/gifts/settle/{waiting.event_id}", {})
    assert again.status_code == 404
    assert "no coin refund to settle" in again.text
    assert (await check()).ok
