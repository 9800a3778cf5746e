"""A member's money records: exported on request, kept under a pseudonym after erasure.

Bookkeeping rules keep transactions for years, so erasing an account deletes no ledger
row: the member's wallet and earnings accounts are renamed from their id to
:func:`nichevid.core.secrets.pseudonym`, and their checkouts lose the link to the
account. Their payout requests are renamed the same way (a pending one is rejected
first, so its hold returns to the earnings). Every transaction still sums to zero and
every balance still matches.
"""

from __future__ import annotations

from typing import Any

from nichevid.core.secrets import pseudonym
from nichevid.payments import payouts
from nichevid.payments.accounts import Account
from nichevid.payments.ledger import history
from nichevid.payments.tables import Checkout, LedgerAccount, Payout

# Checkouts of erased accounts point at no user.
ERASED = 0
# Lines per account in an export: far more than a member's wallet sees in years.
MOST_LINES = 500


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def export_for(user_id: int) -> dict[str, Any]:
    """The member's accounts with their balances and entries, and their checkouts."""
    rows = await LedgerAccount.objects().where(LedgerAccount.owner == str(user_id))
    accounts = []
    for row in sorted(rows, key=lambda r: r.key):
        lines = await history(Account(row.kind, row.owner, row.unit), per_page=MOST_LINES)
        accounts.append(
            {
                "account": row.kind,
                "unit": row.unit,
                "balance": int(row.balance),
                "entries": [
                    {
                        "transaction": line.transaction_id,
                        "kind": line.kind,
                        "reference": line.reference,
                        "amount": line.amount,
                        "at": _when(line.created_at),
                    }
                    for line in lines
                ],
            }
        )
    checkouts = await Checkout.objects().where(Checkout.user_id == user_id).order_by(Checkout.id)
    requests = await payouts.for_member(user_id, limit=MOST_LINES)
    return {
        "payouts": [_payout(p) for p in reversed(requests)],
        "accounts": accounts,
        "checkouts": [
            {
                "provider": c.provider,
                "product": c.product,
                "amount": int(c.amount),
                "currency": c.currency,
                "status": c.status,
            }
            for c in checkouts
        ],
    }


async def erase_for(settings: Any, user_id: int) -> None:
    """Rename the member's accounts to their pseudonym and unlink their checkouts."""
    alias = pseudonym(settings, user_id)
    # First, while the accounts still carry the member's id: a pending request's hold
    # returns to the earnings it came from.
    await _erase_payouts(settings, user_id, alias)
    for row in await LedgerAccount.objects().where(LedgerAccount.owner == str(user_id)):
        renamed = Account(row.kind, alias, row.unit)
        await LedgerAccount.update(
            {LedgerAccount.owner: alias, LedgerAccount.key: renamed.key}
        ).where(LedgerAccount.id == row.id)
    await Checkout.update({Checkout.user_id: ERASED}).where(Checkout.user_id == user_id)


def _payout(payout: Payout) -> dict[str, Any]:
    """One request as the member's data export shows it."""
    return {
        "amount": int(payout.amount),
        "currency": payout.unit,
        "details": payout.details,
        "status": payout.status,
        "reason": payout.reason,
        "requested_at": payout.created_at.isoformat() if payout.created_at else None,
        "decided_at": payout.decided_at.isoformat() if payout.decided_at else None,
        "paid_at": payout.paid_at.isoformat() if payout.paid_at else None,
    }


async def _erase_payouts(settings: Any, user_id: int, alias: str) -> None:
    """Before the member's accounts become ``alias``: end their requests' link to them.

    A pending request is rejected (its hold returns to the earnings, which the ledger
    keeps under the pseudonym); every request is renamed to ``alias``. Payout details go,
    except on approved requests not yet sent: the money is owed and they say where.
    """
    reason = "The account was deleted."
    for payout in await Payout.objects().where(
        (Payout.owner == str(int(user_id))) & (Payout.status == "pending")
    ):
        await payouts.reject(settings, int(payout.id), reason)
    await Payout.update({Payout.owner: alias}).where(Payout.owner == str(int(user_id)))
    await Payout.update({Payout.details: ""}).where(
        (Payout.owner == alias) & (Payout.status != "approved")
    )
