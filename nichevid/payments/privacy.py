"""A member's money records: exported on request, kept under a pseudonym after erasure.

Bookkeeping rules keep transactions for years, so erasing an account deletes no ledger
row: the member's wallet and earnings accounts are renamed from their id to
:func:`nichevid.core.secrets.pseudonym`, and their checkouts lose the link to the
account. Every transaction still sums to zero and every balance still matches.
"""

from __future__ import annotations

from typing import Any

from nichevid.core.secrets import pseudonym
from nichevid.payments.accounts import Account
from nichevid.payments.ledger import history
from nichevid.payments.tables import Checkout, LedgerAccount

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
    return {
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
    for row in await LedgerAccount.objects().where(LedgerAccount.owner == str(user_id)):
        renamed = Account(row.kind, alias, row.unit)
        await LedgerAccount.update(
            {LedgerAccount.owner: alias, LedgerAccount.key: renamed.key}
        ).where(LedgerAccount.id == row.id)
    await Checkout.update({Checkout.user_id: ERASED}).where(Checkout.user_id == user_id)
