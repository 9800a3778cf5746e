"""Refunds and chargebacks of a subscription period: the period's entries are reversed
exactly once through the payment event path, and the subscription follows.

Ann subscribes to Cara's Fan tier (4.99 EUR: Cara earns 4.00, the platform 0.99).
"""

from __future__ import annotations

import time
from typing import Any

from nichevid.payments import accounts as acc
from nichevid.payments import events
from nichevid.payments.check import check
from nichevid.payments.ledger import Entry, Transaction, balance, post
from nichevid.payments.tables import Checkout, LedgerTransaction, PaymentEvent
from nichevid.testing.factories import ready_video
from nichevid_subscriptions import access, services

from .conftest import MONTH, deliver, event_body, fresh, started, subscribed


async def _books(cara: Any) -> tuple[int, int, int]:
    """Cara's earnings, the platform's revenue and the test provider's clearing, in EUR."""
    return (
        await balance(acc.earnings(cara.id, "EUR")),
        await balance(acc.platform("EUR")),
        await balance(acc.clearing("test", "EUR")),
    )


async def _reversals() -> list[str]:
    rows = await LedgerTransaction.select(LedgerTransaction.kind).where(
        LedgerTransaction.reverses.is_not_null()
    )
    return sorted(str(r["kind"]) for r in rows)


async def test_a_refunded_period_is_reversed_once_and_access_ends_at_once(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    cara, ann = people["cara"], people["ann"]
    video = await ready_video(cara, caption="secret", visibility="subscribers")
    end = int(time.time()) + MONTH
    sub = await subscribed(nv_resources, ann, two_tiers["fan"], end)
    assert await _books(cara) == (400, 99, -499)
    assert await access.may_watch(video, ann)
    body = event_body(sub, "payment.refunded", event_id="evt_refund_1", period_end=end)
    assert await deliver(nv_resources, body) == ["applied"]
    assert await _books(cara) == (0, 0, 0)
    assert await _reversals() == ["refund"]
    row = await fresh(sub)
    assert row.status == "refunded"
    assert row.access_until == 0
    assert not await access.may_watch(video, ann)
    assert [r.status for r in await services.of_member(int(ann.id))] == ["refunded"]
    # The same event again, and another event about the same refund: nothing more moves.
    assert await deliver(nv_resources, body) == ["duplicate"]
    again = event_body(sub, "payment.refunded", event_id="evt_refund_2", period_end=end)
    assert await deliver(nv_resources, again) == ["applied"]
    assert await _books(cara) == (0, 0, 0)
    assert await _reversals() == ["refund"]
    # A renewal of the refunded period (a retried delivery) does not bring access back...
    retry = event_body(sub, "subscription.renewed", event_id="evt_retry", period_end=end)
    assert await deliver(nv_resources, retry) == ["applied"]
    assert (await fresh(sub)).status == "refunded"
    # ...but the provider charging the next month does: the member paid again.
    later = event_body(sub, "subscription.renewed", event_id="evt_next", period_end=end + MONTH)
    assert await deliver(nv_resources, later) == ["applied"]
    assert (await fresh(sub)).status == "active"
    assert await access.may_watch(video, ann)
    assert await _books(cara) == (400, 99, -499)
    assert (await check()).ok


async def test_a_chargeback_of_an_older_period_keeps_the_paid_one(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    cara, ann = people["cara"], people["ann"]
    first = int(time.time()) + 60
    sub = await subscribed(nv_resources, ann, two_tiers["fan"], first)
    renewal = event_body(sub, "subscription.renewed", event_id="evt_r", period_end=first + MONTH)
    assert await deliver(nv_resources, renewal) == ["applied"]
    assert await _books(cara) == (800, 198, -998)
    back = event_body(sub, "payment.charged_back", event_id="evt_cb", period_end=first)
    assert await deliver(nv_resources, back) == ["applied"]
    assert await _books(cara) == (400, 99, -499)
    assert await _reversals() == ["chargeback"]
    row = await fresh(sub)
    assert row.status == "active"
    assert access.has_access(row)
    assert (await check()).ok


async def test_a_refund_before_its_payment_waits_and_then_applies(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    cara = people["cara"]
    sub = await started(nv_resources, people["ann"], two_tiers["fan"])
    end = int(time.time()) + MONTH
    refund = event_body(sub, "payment.refunded", event_id="evt_early", period_end=end)
    assert await deliver(nv_resources, refund) == ["waiting"]
    paid = event_body(sub, "subscription.activated", event_id="evt_paid", period_end=end)
    assert await deliver(nv_resources, paid) == ["applied"]
    stored = await PaymentEvent.objects().where(PaymentEvent.event_id == "evt_early").first()
    assert stored is not None
    assert stored.status == "applied"
    assert await _books(cara) == (0, 0, 0)
    assert (await fresh(sub)).status == "refunded"
    # Reconciliation finds nothing left to do.
    assert await events.reconcile(nv_resources, older_than=0) == 0
    assert await _reversals() == ["refund"]


async def test_refunds_the_books_cannot_take_are_left_to_the_operator(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    cara = people["cara"]
    end = int(time.time()) + MONTH
    sub = await subscribed(nv_resources, people["ann"], two_tiers["fan"], end)
    partial = event_body(sub, "payment.refunded", event_id="evt_part", period_end=end, amount=100)
    assert await deliver(nv_resources, partial) == ["refused"]
    assert (await fresh(sub)).status == "active"
    # Cara was paid out meanwhile: her earnings cannot go below zero.
    out = [Entry(acc.earnings(cara.id, "EUR"), -400), Entry(acc.paid_out("EUR"), 400)]
    await post(nv_resources.settings, Transaction("payout", "paid-out-1", out))
    full = event_body(sub, "payment.refunded", event_id="evt_full", period_end=end)
    assert await deliver(nv_resources, full) == ["refused"]
    assert await _reversals() == []
    row = await fresh(sub)
    assert row.status == "refunded"
    assert not access.has_access(row)
    listed = await events.refused_reversals()
    assert [e.event_id for e, _ in listed] == ["evt_part", "evt_full"]
    checkout = await Checkout.objects().where(Checkout.token == sub.checkout_token).first()
    assert checkout is not None
    assert (await check()).ok
