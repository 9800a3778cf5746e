"""Undoing gifts and settling coin purchases refunded after their coins were spent.

* :func:`reverse_gift`: the operator undoes one gift (``moves.reverse``): the coins go
  back to the sender, out of the creator's earnings and the platform's cut. When the
  creator was paid out meanwhile the ledger refuses it and nothing changes.
* :func:`settle`: a coin pack refunded (or charged back) by the provider is reversed by
  the payments core when the member still holds its coins. When some were spent on
  gifts the core refuses it and the operator settles here: the money goes back out of
  platform revenue, the member's remaining coins, up to the pack's coins, are taken
  back, and gifts already sent stand (their creators keep what they earned; the
  platform bears the difference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nichevid.i18n import gettext
from nichevid.payments import accounts as acc
from nichevid.payments import events, moves
from nichevid.payments.accounts import COINS
from nichevid.payments.ledger import Entry, LedgerError, Posted, Transaction, balance, post
from nichevid_gifts import receipts
from nichevid_gifts.errors import GiftError
from nichevid_gifts.tables import Gift


async def reverse_gift(resources: Any, gift_id: int, kind: str = "refund") -> Gift:
    """Undo gift ``gift_id`` (once); a donation's receipt becomes void.

    Raises:
        GiftError: No such gift (404); the creator's earnings no longer hold its value
            (409: paid out; nothing changed).
    """
    gift = await Gift.objects().where(Gift.id == gift_id).first()
    if gift is None:
        raise GiftError(gettext("There is no such gift."), 404)
    try:
        undone = await moves.reverse(
            resources.settings, int(gift.transaction_id), kind=kind, reference=f"gift:{gift.id}"
        )
    except LedgerError as exc:
        raise GiftError(
            gettext(
                "The ledger refused to undo this gift: %(reason)s. Settle it by hand.",
                reason=exc.message,
            ),
            exc.status,
        ) from None
    await Gift.update({Gift.status: "reversed", Gift.reversal_id: undone.id}).where(
        Gift.id == gift.id
    )
    if gift.kind == "donation":
        await receipts.void_for(int(gift.id))
    gift.status, gift.reversal_id = "reversed", undone.id
    return gift


@dataclass
class ToSettle:
    """A refused refund or chargeback of a coin pack, with what settling would do."""

    event_id: int
    kind: str
    provider: str
    checkout: str
    user_id: int
    paid: int
    currency: str
    coins: int
    coins_left: int

    @property
    def coins_spent(self) -> int:
        """Coins of the pack the member no longer holds (they stay with the creators)."""
        return self.coins - min(self.coins, self.coins_left)


async def to_settle() -> list[ToSettle]:
    """Refused refunds and chargebacks of coin packs, oldest first."""
    out = []
    for event, checkout in await events.refused_reversals():
        if checkout.credit_unit != COINS or checkout.transaction_id is None:
            continue
        left = await balance(acc.wallet(int(checkout.user_id), COINS))
        out.append(
            ToSettle(
                event_id=int(event.id),
                kind="chargeback" if event.type == events.CHARGED_BACK else "refund",
                provider=checkout.provider,
                checkout=checkout.token,
                user_id=int(checkout.user_id),
                paid=int(checkout.amount),
                currency=checkout.currency,
                coins=int(checkout.credit_amount),
                coins_left=int(left),
            )
        )
    return out


async def settle(resources: Any, event_id: int) -> Posted:
    """Settle the refused refund or chargeback ``event_id`` of a coin pack (see above).

    Returns:
        The settling transaction (key ``settle:<provider>:<checkout>``).

    Raises:
        GiftError: No such refused coin refund (404); the member spent coins while
            this ran (409: try again).
    """
    found = next((item for item in await to_settle() if item.event_id == event_id), None)
    if found is None:
        raise GiftError(gettext("There is no coin refund to settle with this number."), 404)
    take = min(found.coins, found.coins_left)
    entries = [
        Entry(acc.clearing(found.provider, found.currency), found.paid),
        Entry(acc.platform(found.currency), -found.paid),
    ]
    if take:
        entries += [Entry(acc.wallet(found.user_id, COINS), -take), Entry(acc.issuance(), take)]
    try:
        posted = await post(
            resources.settings,
            Transaction(
                found.kind,
                f"settle:{found.provider}:{found.checkout}",
                entries,
                f"checkout:{found.checkout}",
            ),
        )
    except LedgerError as exc:
        raise GiftError(exc.message, exc.status) from None
    for event, checkout in await events.refused_reversals():
        if int(event.id) == event_id:
            note = f"settled by the operator (#{posted.id}): {take} coins taken back, " + (
                f"{found.coins - take} spent coins kept by their creators"
            )
            await events.settled(event, checkout, note)
    return posted
