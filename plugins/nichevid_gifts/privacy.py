"""A member's gift records: exported on request, unlinked when the account is erased.

Gifts and receipts are bookkeeping records: erasure keeps them without the link to
the account (the ledger keeps its accounts under a pseudonym the same way), so the
creators' totals and the donation receipts stay consistent.
"""

from __future__ import annotations

from typing import Any

from nichevid_gifts.tables import CreatorChoice, Gift, Nonprofit, Receipt


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _gift(row: dict[str, Any], other: str) -> dict[str, Any]:
    return {
        "gift": row["item_name"],
        "count": int(row["quantity"]),
        "coins": int(row["total"]),
        "kind": row["kind"],
        "status": row["status"],
        other: row["other"],
        "at": _when(row["created_at"]),
    }


async def export_for(user_id: int) -> dict[str, Any]:
    """Gifts the member sent and received, their donation receipts and choices."""
    columns = (Gift.item_name, Gift.quantity, Gift.total, Gift.kind, Gift.status, Gift.created_at)
    sent = (
        await Gift.select(*columns, Gift.recipient.username.as_alias("other"))
        .where(Gift.sender == user_id)
        .order_by(Gift.id)
    )
    received = (
        await Gift.select(*columns, Gift.sender.username.as_alias("other"))
        .where(Gift.recipient == user_id)
        .order_by(Gift.id)
    )
    receipts = await Receipt.objects().where(Receipt.donor == user_id).order_by(Receipt.id)
    charity = await Nonprofit.objects().where(Nonprofit.user == user_id).first()
    choice = await CreatorChoice.objects().where(CreatorChoice.user == user_id).first()
    return {
        "sent": [_gift(row, "to") for row in sent],
        "received": [_gift(row, "from") for row in received],
        "receipts": [
            {
                "number": r.number,
                "date": _when(r.issued_at),
                "coins": int(r.coins),
                "recipient": r.recipient_name,
                "registration": r.registration,
                "void": bool(r.void),
            }
            for r in receipts
        ],
        "nonprofit": (
            {"legal_name": charity.legal_name, "registration": charity.registration}
            if charity is not None
            else None
        ),
        "show_top_gifters": bool(choice is not None and choice.show_top_gifters),
    }


async def erase_for(user_id: int) -> None:
    """Unlink the member from their gifts and receipts; drop their gift choices."""
    await Gift.update({Gift.sender: None}).where(Gift.sender == user_id)
    await Gift.update({Gift.recipient: None}).where(Gift.recipient == user_id)
    await Receipt.update({Receipt.donor: None, Receipt.donor_name: ""}).where(
        Receipt.donor == user_id
    )
    await Nonprofit.delete().where(Nonprofit.user == user_id)
    await CreatorChoice.delete().where(CreatorChoice.user == user_id)
