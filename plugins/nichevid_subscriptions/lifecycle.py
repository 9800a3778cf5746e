"""A subscription's life: started by a checkout, then moved by the provider's events.

Every event is applied so that order does not matter: a paid period only ever moves
the end of the paid period later (``max``), each paid period is posted to the ledger
once under its own key (``subscription:<provider>:<checkout>:<period end>``), a
failed payment for a period already paid changes nothing, and an ended subscription
stays ended. So a renewal before the activation, a retry, a duplicate and a
reconciliation after a crash all leave the same state and the same books.

A refund or chargeback of a period reverses that period's transaction (the creator's
earning and the platform's cut) once, under the ledger's ``reversal:<id>`` key; one
that arrives before the period's payment waits for it. A refunded latest period ends
access at once (status ``refunded``), unless the provider reports a later period
paid, which the member then watches; a refund of an older period changes nothing
about access. A reversal the ledger refuses (the creator was paid out meanwhile) is
``refused`` and listed on ``/admin/ledger`` for the operator to settle; access ends
all the same, as the member got their money back.

A change of tier (see :func:`nichevid_subscriptions.services.change_tier`) waits in
``next_tier`` until the provider applies it: a move up when the provider reports
``subscription.changed`` (its proration is posted to the creator like a period, under
``subscription:<provider>:<checkout>:change:<moment of the change>``), a move down at
the first renewal of a later period at the lower tier's price.
"""

from __future__ import annotations

import logging
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from nichevid.db import writing
from nichevid.payments import accounts as acc
from nichevid.payments.ledger import (
    Entry,
    LedgerError,
    Transaction,
    post,
    transaction_by_key,
)
from nichevid.payments.moves import platform_cut, reverse
from nichevid.payments.providers import (
    CHARGED_BACK,
    REFUNDED,
    SUBSCRIPTION_ACTIVATED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_CHANGED,
    SUBSCRIPTION_ENDED,
    SUBSCRIPTION_PAYMENT_FAILED,
    SUBSCRIPTION_RENEWED,
    SUBSCRIPTION_TRIAL,
)
from nichevid_subscriptions.access import access_until
from nichevid_subscriptions.settings import subscription_settings
from nichevid_subscriptions.tables import Subscription

log = logging.getLogger("nichevid.subscriptions")

PRODUCT_PREFIX = "subscription:"
APPLIED, IGNORED, REFUSED, WAITING = "applied", "ignored", "refused", "waiting"
PAID_TYPES = (SUBSCRIPTION_ACTIVATED, SUBSCRIPTION_RENEWED)


def period_key(sub: Subscription, period_end: int) -> str:
    """The ledger's idempotency key of one paid period."""
    return f"subscription:{sub.provider}:{sub.checkout_token}:{period_end}"


def change_key(sub: Subscription, moment: int) -> str:
    """The ledger's idempotency key of the proration charged for a change of tier."""
    return f"subscription:{sub.provider}:{sub.checkout_token}:change:{moment}"


def _entries(sub: Subscription, settings: Any, amount: int) -> list[Entry]:
    """``amount`` collected by the provider: the creator's earning and the platform's cut."""
    cut = platform_cut(settings, amount)
    entries = [Entry(acc.clearing(sub.provider, sub.currency), -amount)]
    if amount - cut:
        entries.append(Entry(acc.earnings(int(sub.creator), sub.currency), amount - cut))
    if cut:
        entries.append(Entry(acc.platform(sub.currency), cut))
    return entries


async def apply(resources: Any, event: Any, checkout: Any) -> Any:
    """Apply one stored provider event (the ``payment_event`` hook).

    Returns:
        ``None`` for a checkout that is not a subscription of this plugin, else
        ``(status, note)``.
    """
    if not str(checkout.product).startswith(PRODUCT_PREFIX):
        return None
    sub = (
        await Subscription.objects()
        .where(
            (Subscription.provider == checkout.provider)
            & (Subscription.checkout_token == checkout.token)
        )
        .first()
    )
    if sub is None:
        # The subscription was erased with its member or creator: nothing to keep.
        return IGNORED, "the subscription no longer exists"
    if sub.provider_ref != event.provider_ref and event.provider_ref:
        await Subscription.update({Subscription.provider_ref: event.provider_ref[:200]}).where(
            Subscription.id == sub.id
        )
    kind = event.type
    if kind in PAID_TYPES:
        return await _paid(resources, sub, event)
    if kind == SUBSCRIPTION_TRIAL:
        return await _trial(resources, sub, event)
    if kind == SUBSCRIPTION_PAYMENT_FAILED:
        return await _failed(resources, sub, event)
    if kind == SUBSCRIPTION_CANCELLED:
        await _save(resources, sub.id, status="cancelled", period_end=int(event.period_end))
        return APPLIED, ""
    if kind == SUBSCRIPTION_ENDED:
        await _save(resources, sub.id, status="ended")
        return APPLIED, ""
    if kind in (REFUNDED, CHARGED_BACK):
        return await _reversed(resources, sub, event)
    if kind == SUBSCRIPTION_CHANGED:
        return await _changed(resources, sub, event)
    return IGNORED, f"subscriptions do not act on {kind!r}"


async def _paid(resources: Any, sub: Subscription, event: Any) -> tuple[str, str]:
    if int(event.period_end) <= 0:
        return REFUSED, "the event names no period"
    price, switch_to = int(sub.price), 0
    if (int(event.amount), str(event.currency)) != (price, str(sub.currency)):
        fresh = await _get(sub.id)
        later = int(event.period_end) > int(fresh.period_end)
        if not (
            fresh.next_tier
            and later
            and (int(event.amount), str(event.currency))
            == (int(fresh.next_price), str(sub.currency))
        ):
            return REFUSED, (
                f"paid {event.amount} {event.currency}, but the subscription costs "
                f"{sub.price} {sub.currency}"
            )
        # The first period at the tier the member moved to.
        price, switch_to = int(fresh.next_price), int(fresh.next_tier)
    key = period_key(sub, int(event.period_end))
    try:
        await post(
            resources.settings,
            Transaction("subscription", key, _entries(sub, resources.settings, price),
                        f"subscription:{sub.id}"),
        )  # fmt: skip
    except LedgerError as exc:
        return REFUSED, exc.message
    if switch_to:
        await _switch(sub.id, switch_to, price)
    await _save(resources, sub.id, status="active", period_end=int(event.period_end), paid=True)
    return APPLIED, ""


async def _changed(resources: Any, sub: Subscription, event: Any) -> tuple[str, str]:
    """A change of price the provider applied at once: post its proration, switch tier."""
    if str(event.currency) != str(sub.currency) or int(event.amount) < 0:
        return REFUSED, f"a change charged in {event.currency}, not {sub.currency}"
    if int(event.amount):
        # Money the provider collected for this subscription: the creator earns it
        # even when the tier was switched already (a renewal at the new price came first).
        key = change_key(sub, int(event.period_start))
        entries = _entries(sub, resources.settings, int(event.amount))
        try:
            await post(
                resources.settings,
                Transaction("subscription", key, entries, f"subscription:{sub.id}"),
            )
        except LedgerError as exc:
            return REFUSED, exc.message
    fresh = await _get(sub.id)
    if not fresh.next_tier:
        return APPLIED, "no change of tier was waiting"
    await _switch(sub.id, int(fresh.next_tier), int(fresh.next_price))
    return APPLIED, ""


async def _switch(sub_id: int, tier_id: int, price: int) -> None:
    """Make ``tier_id`` (at ``price`` a month) the subscription's tier; nothing waits."""
    await Subscription.update(
        {
            Subscription.tier: tier_id,
            Subscription.price: price,
            Subscription.next_tier: 0,
            Subscription.next_price: 0,
        }
    ).where((Subscription.id == sub_id) & (Subscription.next_tier == tier_id))


async def _reversed(resources: Any, sub: Subscription, event: Any) -> tuple[str, str]:
    """Undo one paid period: reverse its transaction once and end access to it."""
    fresh = await _get(sub.id)
    period_end = int(event.period_end) or int(fresh.period_end)
    paid = await transaction_by_key(period_key(sub, period_end)) if period_end else None
    if paid is None:
        return WAITING, "waits for the payment of the period it undoes"
    cost = sum(amount for _key, _unit, amount in paid.entries if amount > 0)
    if int(event.amount) and (int(event.amount), str(event.currency)) != (cost, sub.currency):
        return REFUSED, (
            f"refunded {event.amount} {event.currency} of a period that cost {cost} "
            f"{sub.currency}: a partial refund is settled by the operator"
        )
    kind = "chargeback" if event.type == CHARGED_BACK else "refund"
    note = ""
    try:
        await reverse(resources.settings, paid.id, kind=kind)
    except LedgerError as exc:
        # The creator was paid out meanwhile: the operator settles it on /admin/ledger.
        note = exc.message
    await _save(resources, sub.id, status="refunded", refunded_until=period_end)
    return (REFUSED, note) if note else (APPLIED, "")


async def _trial(resources: Any, sub: Subscription, event: Any) -> tuple[str, str]:
    if int(event.period_end) <= 0:
        return REFUSED, "the event names no trial end"
    await _save(resources, sub.id, status="trialing", period_end=int(event.period_end))
    return APPLIED, ""


async def _failed(resources: Any, sub: Subscription, event: Any) -> tuple[str, str]:
    fresh = await _get(sub.id)
    if event.period_end and int(event.period_end) <= int(fresh.period_end):
        # The period this payment was for is paid already (the retry succeeded first).
        return APPLIED, "the period is paid already"
    days = subscription_settings(resources.settings).grace_days
    received = int(event.received_at.timestamp())
    await _save(resources, sub.id, status="past_due", grace_until=received + days * 86400)
    return APPLIED, ""


async def _get(sub_id: int) -> Subscription:
    found = await Subscription.objects().where(Subscription.id == sub_id).first()
    assert found is not None, "a subscription is only deleted with its member or creator"
    return found


# Which status may follow which: events of any order converge on the latest state.
_NEXT = {
    "pending": {"trialing", "active", "past_due", "cancelled", "refunded", "ended"},
    "trialing": {"active", "past_due", "cancelled", "refunded", "ended"},
    "active": {"active", "past_due", "cancelled", "refunded", "ended"},
    "past_due": {"active", "past_due", "cancelled", "refunded", "ended"},
    "cancelled": {"refunded", "ended"},
    # Only a period paid after the refunded one brings access back (see ``_change``).
    "refunded": {"active", "refunded", "ended"},
    "ended": set(),
}


async def _save(
    resources: Any,
    sub_id: int,
    *,
    status: str,
    period_end: int = 0,
    grace_until: int = 0,
    paid: bool = False,
    refunded_until: int = 0,
) -> Subscription:
    """Move the subscription to ``status`` where allowed, never moving its period back.

    Read and written in one write transaction (the row locked on PostgreSQL), so two
    events of one subscription applied at once by two processes both count.
    """
    async with writing(Subscription):
        if not isinstance(Subscription._meta.db, SQLiteEngine):
            table = Subscription._meta.tablename
            await Subscription.raw(f"SELECT id FROM {table} WHERE id = {{}} FOR UPDATE", sub_id)  # noqa: S608
        return await _change(
            resources,
            sub_id,
            status,
            period_end=period_end,
            grace_until=grace_until,
            paid=paid,
            refunded_until=refunded_until,
        )


async def _change(
    resources: Any,
    sub_id: int,
    status: str,
    *,
    period_end: int,
    grace_until: int,
    paid: bool,
    refunded_until: int = 0,
) -> Subscription:
    sub = await _get(sub_id)
    old_end = int(sub.period_end)
    sub.period_end = max(old_end, period_end)
    if grace_until:
        sub.grace_until = max(int(sub.grace_until), grace_until)
    sub.refunded_until = max(int(sub.refunded_until), refunded_until)
    # A payment for an older period does not clear a failure of a newer one.
    stale = paid and sub.status == "past_due" and period_end <= old_end
    if status == "refunded" and refunded_until < int(sub.period_end):
        # An older period was refunded; the latest one is paid and keeps its access.
        stale = True
    if sub.status == "refunded" and status != "ended":
        # Only a period paid after the refunded one brings access back.
        stale = stale or not (paid and period_end > int(sub.refunded_until))
    if status in _NEXT[str(sub.status)] and not stale:
        sub.status = status
    sub.access_until = access_until(sub, resources.settings)
    await sub.save(
        [
            Subscription.status,
            Subscription.period_end,
            Subscription.grace_until,
            Subscription.refunded_until,
            Subscription.access_until,
        ]
    )
    return sub
