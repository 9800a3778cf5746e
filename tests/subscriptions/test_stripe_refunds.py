"""Stripe refunds and lost disputes of a subscription's invoices.

Stripe's charges of subscription invoices carry no checkout token: the refund or the
dispute names the payment intent, which the invoice's ``invoice.paid`` stored. Ann
subscribes to Cara's Fan tier (4.99 EUR: Cara earns 4.00, the platform 0.99).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import stripe

from nichevid.payments import accounts as acc
from nichevid.payments import events
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.tables import PaymentEvent
from nichevid_subscriptions import services
from nichevid_subscriptions.tables import Subscription
from tests.payments.test_stripe import signed, stripe_event

from .conftest import MONTH, fresh, with_stripe
from .test_stripe_and_pages import invoice


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    return with_stripe(nv_settings_factory)


@pytest.fixture
async def stripe_sub(
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Subscription:
    """Ann's Stripe subscription to the Fan tier, not paid yet."""
    monkeypatch.setattr(
        stripe.checkout.Session,
        "create",
        lambda **params: SimpleNamespace(id="cs_1", url="https://checkout.stripe.com/c/pay/cs_1"),
    )
    sub, _ = await services.subscribe(nv_resources, people["ann"], two_tiers["fan"].id, "stripe")
    return sub


def refund(event_id: str, payment: str, amount: int = 499, refunded: int = 499) -> bytes:
    """``charge.refunded`` of an invoice's charge: no metadata, only its payment intent."""
    charge = {
        "id": f"ch_{payment}",
        "object": "charge",
        "payment_intent": payment,
        "metadata": {},
        "amount": amount,
        "amount_refunded": refunded,
        "refunded": refunded == amount,
        "currency": "eur",
    }
    return stripe_event(event_id, "charge.refunded", charge)


def dispute(event_id: str, payment: str, status: str) -> bytes:
    """``charge.dispute.closed`` with the dispute's outcome."""
    obj = {
        "id": f"dp_{event_id}",
        "object": "dispute",
        "charge": f"ch_{payment}",
        "payment_intent": payment,
        "metadata": {},
        "amount": 499,
        "currency": "eur",
        "status": status,
    }
    return stripe_event(event_id, "charge.dispute.closed", obj)


async def _send(resources: Any, body: bytes) -> list[str]:
    return await events.receive(resources, "stripe", body, signed(body))


async def _books(cara: Any) -> tuple[int, int]:
    return await balance(acc.earnings(cara.id, "EUR")), await balance(acc.platform("EUR"))


async def _first_month(resources: Any, sub: Subscription) -> int:
    """Stripe reports the first month paid by the payment intent ``pi_1``; its end."""
    end = int(time.time()) + MONTH
    first = invoice(
        sub.checkout_token, "invoice.paid", end, reason="subscription_create", payment="pi_1"
    )
    assert await _send(resources, first) == ["applied"]
    return end


async def test_a_refunded_invoice_reverses_its_period_once(
    nv_resources: Any, people: dict[str, Any], stripe_sub: Subscription
) -> None:
    cara, token = people["cara"], stripe_sub.checkout_token
    end = await _first_month(nv_resources, stripe_sub)
    assert await _books(cara) == (400, 99)
    body = refund("evt_refund", "pi_1")
    assert await _send(nv_resources, body) == ["applied"]
    assert await _books(cara) == (0, 0)
    row = await fresh(stripe_sub)
    assert (row.status, row.access_until) == ("refunded", 0)
    stored = await PaymentEvent.objects().where(PaymentEvent.event_id == "evt_refund").first()
    assert stored is not None
    assert (stored.checkout_token, int(stored.period_end)) == (token, end)
    # Stripe delivers it again: nothing more moves.
    assert await _send(nv_resources, body) == ["duplicate"]
    assert await _books(cara) == (0, 0)
    assert (await check()).ok


async def test_a_refund_before_its_invoice_waits_for_it(
    nv_resources: Any, people: dict[str, Any], stripe_sub: Subscription
) -> None:
    cara, token = people["cara"], stripe_sub.checkout_token
    end = int(time.time()) + MONTH
    assert await _send(nv_resources, refund("evt_early", "pi_1")) == ["waiting"]
    assert await _books(cara) == (0, 0)
    first = invoice(token, "invoice.paid", end, reason="subscription_create", payment="pi_1")
    assert await _send(nv_resources, first) == ["applied"]
    early = await PaymentEvent.objects().where(PaymentEvent.event_id == "evt_early").first()
    assert early is not None
    assert early.status == "applied"
    assert await _books(cara) == (0, 0)
    assert (await fresh(stripe_sub)).status == "refunded"
    assert (await check()).ok


async def test_a_refund_of_an_older_invoice_keeps_the_paid_month(
    nv_resources: Any, people: dict[str, Any], stripe_sub: Subscription
) -> None:
    cara, token = people["cara"], stripe_sub.checkout_token
    end = await _first_month(nv_resources, stripe_sub)
    second = invoice(token, "invoice.paid", end + MONTH, payment="pi_2")
    assert await _send(nv_resources, second) == ["applied"]
    assert await _send(nv_resources, refund("evt_old", "pi_1")) == ["applied"]
    # Only the first month went back; the second is paid and watched.
    assert await _books(cara) == (400, 99)
    row = await fresh(stripe_sub)
    assert (row.status, int(row.period_end)) == ("active", end + MONTH)


async def test_the_newer_invoice_shape_names_its_payment_in_a_list(
    nv_resources: Any, people: dict[str, Any], stripe_sub: Subscription
) -> None:
    end = int(time.time()) + MONTH
    obj = {
        "id": "in_new",
        "object": "invoice",
        "billing_reason": "subscription_create",
        "amount_paid": 499,
        "amount_due": 499,
        "currency": "eur",
        "parent": {
            "subscription_details": {
                "subscription": "sub_1",
                "metadata": {"checkout": stripe_sub.checkout_token},
            }
        },
        "payments": {"data": [{"payment": {"type": "payment_intent", "payment_intent": "pi_7"}}]},
        "lines": {"data": [{"period": {"start": end - MONTH, "end": end}}]},
    }
    assert await _send(nv_resources, stripe_event("evt_new", "invoice.paid", obj)) == ["applied"]
    assert await _send(nv_resources, refund("evt_refund_new", "pi_7")) == ["applied"]
    assert await _books(people["cara"]) == (0, 0)


async def test_a_lost_dispute_charges_back_and_a_won_one_changes_nothing(
    nv_resources: Any, people: dict[str, Any], stripe_sub: Subscription
) -> None:
    cara = people["cara"]
    await _first_month(nv_resources, stripe_sub)
    assert await _send(nv_resources, dispute("evt_won", "pi_1", "won")) == ["ignored"]
    assert await _books(cara) == (400, 99)
    assert (await fresh(stripe_sub)).status == "active"
    assert await _send(nv_resources, dispute("evt_lost", "pi_1", "lost")) == ["applied"]
    assert await _books(cara) == (0, 0)
    assert (await fresh(stripe_sub)).status == "refunded"
    assert (await check()).ok


async def test_refunds_that_cannot_be_applied_change_nothing(
    nv_resources: Any,
    people: dict[str, Any],
    stripe_sub: Subscription,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cara, token = people["cara"], stripe_sub.checkout_token
    end = await _first_month(nv_resources, stripe_sub)
    # A partial refund: stored for the operator, nothing reversed.
    partial = refund("evt_partial", "pi_1", refunded=200)
    assert await _send(nv_resources, partial) == ["ignored"]
    # A refund of a payment this instance never saw waits, changing nothing...
    assert await _send(nv_resources, refund("evt_foreign", "pi_other")) == ["waiting"]
    # ...and is let go once its payment has not come for a day.
    await PaymentEvent.update(
        {PaymentEvent.received_at: datetime.now(UTC) - timedelta(days=2)}
    ).where(PaymentEvent.event_id == "evt_foreign")
    await events.reconcile(nv_resources, older_than=0)
    foreign = await PaymentEvent.objects().where(PaymentEvent.event_id == "evt_foreign").first()
    assert foreign is not None
    assert (foreign.status, foreign.note) == ("ignored", "no payment of this instance has this id")
    # A refund of the charge for a change of tier is left to the operator.
    change = invoice(
        token, "invoice.paid", end, 250, "subscription_update", "pi_change", "evt_change_paid"
    )
    assert await _send(nv_resources, change) == ["applied"]
    before = await _books(cara)
    assert await _send(nv_resources, refund("evt_change", "pi_change", 250, 250)) == ["refused"]
    assert await _books(cara) == before
    [(event, checkout)] = await events.refused_reversals()
    assert event.event_id == "evt_change"
    assert checkout.token == token
    assert "change of tier" in event.note
    assert (await fresh(stripe_sub)).status == "active"
    assert (await check()).ok
