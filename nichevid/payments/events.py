"""Provider events: stored once, applied to the ledger exactly once, in any order.

Each verified event is stored first (unique per provider and event id), then
applied. Applying is idempotent: a payment posts the top-up under the key
``payment:<provider>:<checkout>``, a refund or chargeback reverses that transaction
under ``reversal:<id>``. So a retry, a duplicate, a crash between storing and
applying (the next delivery or :func:`reconcile` applies it) and a second "paid"
event for one checkout all credit once. A refund that arrives before its payment
waits and is applied right after the payment.

Subscription events (``subscription.*``) are stored the same way and then handed to
the plugins through the ``payment_event`` hook: the plugin that sold the subscription
applies them (each period under its own idempotency key) and answers the status. So
are refunds and chargebacks of a subscription's checkout: they name the period they
undo, and the plugin reverses that period's transaction once (or answers ``waiting``
until the period's payment arrives; it is applied again right after it). A refund or
chargeback that names only the provider's id of the payment is first matched to
that payment's stored event (:mod:`nichevid.payments.matching`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.payments import matching, moves
from nichevid.payments.ledger import LedgerError
from nichevid.payments.providers import (
    CHARGED_BACK,
    EVENT_TYPES,
    PAID,
    REFUNDED,
    SUBSCRIPTION_CHANGED,
    SUBSCRIPTION_EVENT_TYPES,
    ProviderEvent,
    WebhookError,
    provider,
)
from nichevid.payments.settings import payment_settings
from nichevid.payments.tables import Checkout, PaymentEvent
from nichevid.plugins import call_first

log = logging.getLogger("nichevid.payments")

# Event statuses: applied and ignored are final; the others are applied again later.
RECEIVED, APPLIED, WAITING = "received", "applied", "waiting"
IGNORED, REFUSED = "ignored", "refused"
FINAL = (APPLIED, IGNORED)


async def receive(
    resources: Any, provider_name: str, body: bytes, headers: Mapping[str, str]
) -> list[str]:
    """Handle one webhook request of ``provider_name``: verify, store, apply.

    Returns:
        The status of each event it carried (``duplicate`` for one seen before).

    Raises:
        WebhookError: Unknown provider (404), bad signature or body (400): nothing stored.
    """
    chosen = provider(resources, provider_name)
    if chosen is None:
        raise WebhookError(f"there is no payment provider {provider_name!r}", 404)
    outcomes = []
    for event in chosen.parse_webhook(body, headers):
        outcomes.append(await _store_and_apply(resources, provider_name, event))
    return outcomes


async def record(resources: Any, provider_name: str, found: list[ProviderEvent]) -> list[str]:
    """Store and apply events a provider reported without a webhook (see
    :meth:`~nichevid.payments.providers.PaymentProvider.change_subscription`), exactly as
    :func:`receive` does with a webhook's.

    Returns:
        The status of each event.
    """
    return [await _store_and_apply(resources, provider_name, event) for event in found]


async def _store_and_apply(resources: Any, provider_name: str, event: ProviderEvent) -> str:
    table = PaymentEvent._meta.tablename
    rows = await PaymentEvent.raw(
        f"INSERT INTO {table} (provider, event_id, type, checkout_token, amount, currency, "  # noqa: S608
        "status, note, provider_ref, period_start, period_end, payment_ref) "
        "VALUES ({}, {}, {}, {}, {}, {}, 'received', '', {}, {}, {}, {}) "
        "ON CONFLICT (provider, event_id) DO NOTHING RETURNING id",
        provider_name,
        event.id[:200],
        event.type[:64],
        event.checkout[:64],
        event.amount,
        event.currency[:8],
        event.provider_ref[:200],
        event.period_start,
        event.period_end,
        event.payment_ref[:200],
    )
    stored = (
        await PaymentEvent.objects()
        .where((PaymentEvent.provider == provider_name) & (PaymentEvent.event_id == event.id[:200]))
        .first()
    )
    if stored is None:  # pragma: no cover - the row was just inserted or already there
        raise WebhookError("the event could not be stored; send it again", 503)
    if not rows and stored.status in FINAL:
        return "duplicate"
    return await apply(resources, stored)


async def _mark(event: PaymentEvent, status: str, note: str = "") -> str:
    await PaymentEvent.update(
        {
            PaymentEvent.status: status,
            PaymentEvent.note: note[:500],
            PaymentEvent.applied_at: datetime.now(UTC) if status in FINAL else None,
        }
    ).where(PaymentEvent.id == event.id)
    return status


async def apply(resources: Any, event: PaymentEvent) -> str:
    """Apply a stored event to the ledger (again, harmlessly, if it was applied before).

    Returns:
        The event's new status.
    """
    status = await _apply(resources, event)
    if status == APPLIED:
        # Refunds that named only this payment and arrived before it can apply now.
        for later in await matching.waiting_on(event):
            await apply(resources, later)
    return status


async def _apply(resources: Any, event: PaymentEvent) -> str:
    if event.type not in EVENT_TYPES + SUBSCRIPTION_EVENT_TYPES:
        return await _mark(event, IGNORED, f"nichevid does not act on {event.type!r} events")
    if matching.unmatched(event):
        paying = await matching.match(event)
        if paying is None and matching.given_up(event):
            return await _mark(event, IGNORED, "no payment of this instance has this id")
        if paying is None:
            return await _mark(event, WAITING, "waits for the payment it undoes")
        if paying.type == SUBSCRIPTION_CHANGED:
            return await _mark(
                event,
                REFUSED,
                "it undoes the charge for a change of tier: settle it on /admin/ledger",
            )
    checkout = (
        await Checkout.objects()
        .where((Checkout.token == event.checkout_token) & (Checkout.provider == event.provider))
        .first()
    )
    if checkout is None:
        return await _mark(event, IGNORED, "no checkout of this instance has this token")
    if event.type in SUBSCRIPTION_EVENT_TYPES:
        return await _subscription(resources, event, checkout)
    if checkout.billing_interval:
        if event.type in (REFUNDED, CHARGED_BACK):
            # Undoing a paid period is the plugin's: it posted the period under its key.
            return await _subscription(resources, event, checkout)
        # A subscription's periods are paid through subscription events, never a top-up.
        return await _mark(event, IGNORED, "the checkout is a subscription")
    if event.type == PAID:
        return await _paid(resources, event, checkout)
    return await _reversed(resources, event, checkout)


async def _subscription(resources: Any, event: PaymentEvent, checkout: Checkout) -> str:
    answer = await call_first(
        resources.pm.hook.payment_event, resources=resources, event=event, checkout=checkout
    )
    if answer is None:
        return await _mark(event, IGNORED, "no plugin acts on this subscription")
    status, note = (answer, "") if isinstance(answer, str) else answer
    if status not in (APPLIED, WAITING, IGNORED, REFUSED):
        return await _mark(event, REFUSED, f"a plugin answered the unknown status {status!r}")
    if status == APPLIED and event.type in SUBSCRIPTION_EVENT_TYPES:
        # The subscription is running: its checkout page is closed.
        await Checkout.update({Checkout.status: "paid"}).where(
            (Checkout.id == checkout.id) & (Checkout.status == "open")
        )
    marked = await _mark(event, status, note)
    if status == APPLIED and event.type not in (REFUNDED, CHARGED_BACK):
        # A refund of a period that arrived before the period's payment can apply now.
        waiting = await PaymentEvent.objects().where(
            (PaymentEvent.provider == event.provider)
            & (PaymentEvent.checkout_token == checkout.token)
            & (PaymentEvent.status == WAITING)
            & (PaymentEvent.id != event.id)
        )
        for later in waiting:
            await apply(resources, later)
    return marked


async def _paid(resources: Any, event: PaymentEvent, checkout: Checkout) -> str:
    if (event.amount, event.currency) != (checkout.amount, checkout.currency):
        return await _mark(
            event,
            IGNORED,
            f"paid {event.amount} {event.currency}, but the checkout is for "
            f"{checkout.amount} {checkout.currency}",
        )
    try:
        posted = await moves.top_up(
            resources.settings,
            provider=checkout.provider,
            user_id=checkout.user_id,
            paid=checkout.amount,
            currency=checkout.currency,
            credit=checkout.credit_amount,
            credit_unit=checkout.credit_unit,
            idempotency_key=f"payment:{checkout.provider}:{checkout.token}",
            reference=f"checkout:{checkout.token}",
        )
    except LedgerError as exc:
        return await _mark(event, REFUSED, exc.message)
    await Checkout.update({Checkout.status: "paid", Checkout.transaction_id: posted.id}).where(
        (Checkout.id == checkout.id) & (Checkout.transaction_id.is_null())
    )
    status = await _mark(event, APPLIED)
    # A refund that arrived first can be applied now.
    waiting = await PaymentEvent.objects().where(
        (PaymentEvent.provider == event.provider)
        & (PaymentEvent.checkout_token == checkout.token)
        & (PaymentEvent.status == WAITING)
    )
    for later in waiting:
        await apply(resources, later)
    return status


async def _reversed(resources: Any, event: PaymentEvent, checkout: Checkout) -> str:
    fresh = await Checkout.objects().where(Checkout.id == checkout.id).first()
    if fresh is None or fresh.transaction_id is None:
        return await _mark(event, WAITING, "waits for the payment it undoes")
    kind = "chargeback" if event.type == CHARGED_BACK else "refund"
    try:
        await moves.reverse(resources.settings, int(fresh.transaction_id), kind=kind)
    except LedgerError as exc:
        # Most often the member spent the money already; the operator settles it.
        return await _mark(event, REFUSED, exc.message)
    status = "charged_back" if event.type == CHARGED_BACK else "refunded"
    await Checkout.update({Checkout.status: status}).where(Checkout.id == checkout.id)
    return await _mark(event, APPLIED)


async def reconcile(resources: Any, older_than: float | None = None) -> int:
    """Apply every stored event that is not applied yet and was received a while ago.

    Covers a process that stopped between storing an event and applying it. Events
    a provider will send again are applied by that delivery as well; either way,
    once.

    Returns:
        How many events reached a final status.
    """
    if older_than is None:
        older_than = payment_settings(resources.settings).reconcile_after_seconds
    before = datetime.now(UTC) - timedelta(seconds=older_than)
    pending = (
        await PaymentEvent.objects()
        .where(
            PaymentEvent.status.is_in([RECEIVED, WAITING]) & (PaymentEvent.received_at <= before)
        )
        .order_by(PaymentEvent.id)
        .limit(500)
    )
    done = 0
    for event in pending:
        if await apply(resources, event) in FINAL:
            done += 1
    if done:
        log.info("reconciled %d payment events", done)
    return done


RECONCILE_JOB = "payments.reconcile"


async def reconcile_job(ctx: dict[str, Any]) -> int:
    """The job: :func:`reconcile` with the configured delay."""
    return await reconcile(ctx["resources"])


async def refused_reversals() -> list[tuple[PaymentEvent, Checkout]]:
    """Refunds and chargebacks the ledger refused (the money was spent), with their
    checkouts, oldest first: what an operator still has to settle."""
    refused = (
        await PaymentEvent.objects()
        .where((PaymentEvent.status == REFUSED) & PaymentEvent.type.is_in([REFUNDED, CHARGED_BACK]))
        .order_by(PaymentEvent.id)
        .limit(500)
    )
    out = []
    for event in refused:
        checkout = (
            await Checkout.objects()
            .where((Checkout.token == event.checkout_token) & (Checkout.provider == event.provider))
            .first()
        )
        if checkout is not None:
            out.append((event, checkout))
    return out


async def settled(event: PaymentEvent, checkout: Checkout, note: str) -> None:
    """An operator settled a refused refund or chargeback with their own transaction:
    the event is applied (``note`` says how) and the checkout marked like a reversal."""
    status = "charged_back" if event.type == CHARGED_BACK else "refunded"
    await Checkout.update({Checkout.status: status}).where(Checkout.id == checkout.id)
    await _mark(event, APPLIED, note)


__all__ = [
    "APPLIED",
    "CHARGED_BACK",
    "IGNORED",
    "PAID",
    "REFUNDED",
    "REFUSED",
    "WAITING",
    "apply",
    "receive",
    "reconcile",
    "record",
    "refused_reversals",
    "settled",
]
