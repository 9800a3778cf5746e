"""Payout requests: a creator asks for earnings, the operator approves or rejects.

The money is held in the ledger from the moment the request is stored: the
creator's earnings move to their ``payouts`` account under the key
``payout-hold:<id>``, so it cannot be spent or asked for twice. The operator's
decision moves it on under the one key ``payout-settle:<id>``: to ``paid_out`` when
approved, back to the earnings when rejected. Because approval and rejection share
that key with different bodies, the ledger itself refuses a second, different
decision, whichever process makes it.

A member has one pending request at a time (a partial unique index), and a form
carries its own request key, so a double submit asks once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.i18n import gettext
from nichevid.payments import accounts as acc
from nichevid.payments.checkout import display
from nichevid.payments.ledger import (
    Entry,
    IdempotencyConflict,
    Overdraft,
    Transaction,
    balance,
    post,
)
from nichevid.payments.payout_rules import (
    MAX_REASON,
    REQUEST_KEY,
    PayoutError,
    check_request,
    status_label,
)
from nichevid.payments.tables import Payout

__all__ = ["PayoutError", "status_label"]

# Ledger transaction kinds of payouts; they are not earnings, so charts leave them out.
HOLD, SETTLE_PAID, SETTLE_BACK = "payout_hold", "payout", "payout_rejected"
PAYOUT_KINDS = (HOLD, SETTLE_PAID, SETTLE_BACK)


@dataclass(frozen=True)
class Outcome:
    """A request stored (or found again for the same request key)."""

    payout: Payout
    replayed: bool


def _is_unique_violation(exc: Exception) -> bool:
    text = str(exc).lower()
    return "unique" in text or "duplicate key" in text


async def _hold(settings: Any, payout: Payout) -> None:
    """Hold the payout's amount (again: the same key and body change nothing)."""
    owner = acc.Account("earnings", payout.owner, payout.unit)
    held = acc.Account("payouts", payout.owner, payout.unit)
    entries = [Entry(owner, -int(payout.amount)), Entry(held, int(payout.amount))]
    await post(
        settings,
        Transaction(HOLD, f"payout-hold:{payout.id}", entries, f"payout:{payout.id}"),
    )


async def request(
    settings: Any,
    *,
    user_id: int,
    amount: int,
    unit: str,
    details: str,
    request_key: str,
) -> Outcome:
    """Ask for ``amount`` of ``unit`` earnings to be paid out, holding it at once.

    Args:
        settings: The instance settings.
        user_id: The creator.
        amount: In minor units of ``unit``.
        unit: One of the site's currencies.
        details: Where the money goes (free text, at most ``MAX_DETAILS`` characters).
        request_key: The form's own key: sending it again returns the first request.

    Raises:
        PayoutError: Bad amount, currency, details or key (400); below the minimum
            (400); more than the earnings hold or a request already pending (409).
    """
    if not REQUEST_KEY.match(request_key or ""):
        raise PayoutError(gettext("The form has expired; reload the page and send it again."))
    owner = str(int(user_id))
    found = (
        await Payout.objects()
        .where((Payout.owner == owner) & (Payout.request_key == request_key))
        .first()
    )
    if found is not None:
        return _replay(found, amount, unit, details)
    details = check_request(settings, amount, unit, details)
    earned = await balance(acc.earnings(user_id, unit))
    if amount > earned:
        raise PayoutError(_too_much(earned, unit), status=409)
    try:
        payout = Payout(
            owner=owner, request_key=request_key, amount=amount, unit=unit, details=details
        )
        await payout.save()
    except Exception as exc:
        if not _is_unique_violation(exc):
            raise
        again = (
            await Payout.objects()
            .where((Payout.owner == owner) & (Payout.request_key == request_key))
            .first()
        )
        if again is not None:  # the same form, sent twice at once
            return _replay(again, amount, unit, details)
        raise PayoutError(
            gettext("You already have a payout request waiting; wait for the decision on it."),
            status=409,
        ) from None
    try:
        await _hold(settings, payout)
    except Overdraft:
        # Nothing was held: the request never happened.
        await Payout.delete().where(Payout.id == payout.id)
        raise PayoutError(
            _too_much(await balance(acc.earnings(user_id, unit)), unit), status=409
        ) from None
    return Outcome(payout, replayed=False)


def _replay(found: Payout, amount: Any, unit: str, details: str) -> Outcome:
    """The request stored under the same key, if it asked for the same thing."""
    if (found.amount, found.unit, found.details) != (amount, unit, details.strip()):
        raise PayoutError(
            gettext("This form was already sent with other values; reload the page."),
            status=409,
        )
    return Outcome(found, replayed=True)


def _too_much(earned: int, unit: str) -> str:
    return gettext(
        "You can ask for at most %(available)s; ask for less.",
        available=display(earned, unit),
    )


async def _pending(payout_id: int) -> Payout:
    payout = await Payout.objects().where(Payout.id == payout_id).first()
    if payout is None:
        raise PayoutError(gettext("There is no such payout request."), status=404)
    if payout.status != "pending":
        raise PayoutError(
            gettext(
                "This payout request is already %(status)s; nothing was changed.",
                status=status_label(payout.status),
            ),
            status=409,
        )
    return payout


async def _settle(settings: Any, payout: Payout, entries: list[Entry], kind: str) -> None:
    try:
        # A request stored just before the process stopped may lack its hold: post it now
        # (a replay when it is there).
        await _hold(settings, payout)
        await post(
            settings,
            Transaction(kind, f"payout-settle:{payout.id}", entries, f"payout:{payout.id}"),
        )
    except IdempotencyConflict:
        raise PayoutError(
            gettext("This payout request was decided meanwhile; reload the page."), status=409
        ) from None


async def approve(settings: Any, payout_id: int) -> Payout:
    """Approve a pending request: the held money moves to ``paid_out``.

    Raises:
        PayoutError: Unknown request (404); already decided (409).
    """
    payout = await _pending(payout_id)
    held = acc.Account("payouts", payout.owner, payout.unit)
    amount = int(payout.amount)
    try:
        await _settle(
            settings,
            payout,
            [Entry(held, -amount), Entry(acc.paid_out(payout.unit), amount)],
            SETTLE_PAID,
        )
    except Overdraft:
        # Only a request stored without its hold, whose earnings were spent since.
        return await _decide(payout, "rejected", gettext("The earnings were no longer there."))
    return await _decide(payout, "approved", "")


async def reject(settings: Any, payout_id: int, reason: str) -> Payout:
    """Reject a pending request with ``reason``: the held money returns to the earnings.

    Raises:
        PayoutError: No reason or too long (400); unknown request (404); decided (409).
    """
    reason = (reason or "").strip()
    if not reason:
        raise PayoutError(gettext("Say why the payout is rejected; the creator sees it."))
    if len(reason) > MAX_REASON:
        raise PayoutError(gettext("The reason is at most %(count)s characters.", count=MAX_REASON))
    payout = await _pending(payout_id)
    held = acc.Account("payouts", payout.owner, payout.unit)
    earned = acc.Account("earnings", payout.owner, payout.unit)
    amount = int(payout.amount)
    # An Overdraft here means the request was never held: there is nothing to return.
    with contextlib.suppress(Overdraft):
        await _settle(settings, payout, [Entry(held, -amount), Entry(earned, amount)], SETTLE_BACK)
    return await _decide(payout, "rejected", reason)


async def _decide(payout: Payout, status: str, reason: str) -> Payout:
    await Payout.update(
        {Payout.status: status, Payout.reason: reason, Payout.decided_at: datetime.now(UTC)}
    ).where((Payout.id == payout.id) & (Payout.status == "pending"))
    return await Payout.objects().where(Payout.id == payout.id).first()  # type: ignore[return-value]


async def mark_paid(payout_ids: list[int]) -> int:
    """Record that approved payouts were sent; returns how many changed (paid stay paid).

    The payout details of an erased member were kept only to send what was owed: once
    paid they go.
    """
    if not payout_ids:
        return 0
    wanted = [int(i) for i in payout_ids]
    rows = (
        await Payout.update({Payout.status: "paid", Payout.paid_at: datetime.now(UTC)})
        .where((Payout.status == "approved") & Payout.id.is_in(wanted))
        .returning(Payout.id)
    )
    await Payout.update({Payout.details: ""}).where(
        # Erased members' owners are pseudonyms (``p_...``); members' own are their ids.
        (Payout.status == "paid") & Payout.owner.like("p%")
    )
    return len(rows)


async def for_member(user_id: int | str, limit: int = 50) -> list[Payout]:
    """The member's requests, newest first."""
    return (
        await Payout.objects()
        .where(Payout.owner == str(user_id))
        .order_by(Payout.id, ascending=False)
        .limit(limit)
    )


async def listing(status: str | None = None, limit: int = 200) -> list[Payout]:
    """Requests for the operator, newest first, optionally of one status."""
    query = Payout.objects().order_by(Payout.id, ascending=False).limit(limit)
    if status:
        query = query.where(Payout.status == status)
    return await query
