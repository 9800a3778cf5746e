"""Refunds and chargebacks that name the payment they undo instead of the checkout.

A provider may report a refund or a chargeback with only its own id of the payment:
Stripe's ``charge.refunded`` of a subscription's invoice and its disputes carry no
checkout token. The payment itself was stored earlier with the same ``payment_ref``,
its checkout and, for a subscription, the period it paid; the refund takes those
over here and is then applied like one that named them. A refund that arrives
before its payment waits, and is applied right after the payment; one whose payment
is still unknown a day later is about a payment of something else sold through the
same provider account, and is ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nichevid.payments.providers import (
    CHARGED_BACK,
    PAID,
    REFUNDED,
    SUBSCRIPTION_ACTIVATED,
    SUBSCRIPTION_CHANGED,
    SUBSCRIPTION_RENEWED,
)
from nichevid.payments.tables import PaymentEvent

# Events that collected money, and events that give it back.
PAYING = (PAID, SUBSCRIPTION_ACTIVATED, SUBSCRIPTION_RENEWED, SUBSCRIPTION_CHANGED)
UNDOING = (REFUNDED, CHARGED_BACK)
# How long a refund waits for the payment it names (deliveries come minutes apart at most).
PATIENCE = timedelta(days=1)


def unmatched(event: PaymentEvent) -> bool:
    """Whether ``event`` undoes a payment it names only by the provider's payment id."""
    return event.type in UNDOING and not event.checkout_token and bool(event.payment_ref)


async def match(event: PaymentEvent) -> PaymentEvent | None:
    """Give an unmatched refund or chargeback the checkout and period of its payment.

    Returns:
        The stored event of the payment it undoes, or ``None`` while none is stored.
    """
    paying = (
        await PaymentEvent.objects()
        .where(
            (PaymentEvent.provider == event.provider)
            & (PaymentEvent.payment_ref == event.payment_ref)
            & PaymentEvent.type.is_in(list(PAYING))
            & (PaymentEvent.id != event.id)
        )
        .order_by(PaymentEvent.id)
        .first()
    )
    if paying is None:
        return None
    event.checkout_token = paying.checkout_token
    event.provider_ref = paying.provider_ref or event.provider_ref
    event.period_start = paying.period_start
    event.period_end = paying.period_end
    await event.save(
        [
            PaymentEvent.checkout_token,
            PaymentEvent.provider_ref,
            PaymentEvent.period_start,
            PaymentEvent.period_end,
        ]
    )
    return paying


def given_up(event: PaymentEvent, now: datetime | None = None) -> bool:
    """Whether an unmatched ``event`` waited :data:`PATIENCE` for its payment in vain."""
    received = event.received_at
    if received is None:
        return False
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - received > PATIENCE


async def waiting_on(event: PaymentEvent) -> list[PaymentEvent]:
    """The unmatched refunds and chargebacks that waited for the payment ``event``."""
    if event.type not in PAYING or not event.payment_ref:
        return []
    return list(
        await PaymentEvent.objects()
        .where(
            (PaymentEvent.provider == event.provider)
            & (PaymentEvent.payment_ref == event.payment_ref)
            & (PaymentEvent.checkout_token == "")
            & (PaymentEvent.status == "waiting")
        )
        .order_by(PaymentEvent.id)
    )
