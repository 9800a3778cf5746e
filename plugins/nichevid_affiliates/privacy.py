"""A member's affiliate records: exported on request, removed when the account is erased.

Erasure deletes the member's links and their clicks on them, and unlinks the member
from the clicks they made on others' links (the click stays counted for its creator,
under a key that no longer names anyone). Sales booked for the member's links stay
as the ledger keeps its money rows, without the link to the account.
"""

from __future__ import annotations

from typing import Any

from nichevid_affiliates.tables import Click, Conversion, Link


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def export_for(user_id: int) -> dict[str, Any]:
    """The member's links with their clicks and sales, and the clicks they made."""
    owned = (
        await Link.select(
            Link.id,
            Link.label,
            Link.url,
            Link.disabled,
            Link.created_at,
            Link.removed_at,
            Link.video.slug.as_alias("video"),
        )
        .where(Link.owner == user_id)
        .order_by(Link.id)
    )
    sales = (
        await Conversion.select(
            Conversion.link,
            Conversion.order_ref,
            Conversion.amount,
            Conversion.currency,
            Conversion.creator_share,
            Conversion.status,
            Conversion.created_at,
        )
        .where(Conversion.creator == user_id)
        .order_by(Conversion.id)
    )
    made = (
        await Click.select(
            Click.day, Click.link.label.as_alias("label"), Click.link.url.as_alias("url")
        )
        .where(Click.member == user_id)
        .order_by(Click.id)
    )
    counts: dict[int, int] = {}
    if owned:
        rows = await Click.select(Click.link).where(Click.link.is_in([r["id"] for r in owned]))
        for row in rows:
            counts[int(row["link"])] = counts.get(int(row["link"]), 0) + 1
    return {
        "links": [
            {
                "video": row["video"],
                "label": row["label"],
                "url": row["url"],
                "disabled": bool(row["disabled"]),
                "added": _when(row["created_at"]),
                "removed": _when(row["removed_at"]),
                "clicks": counts.get(int(row["id"]), 0),
            }
            for row in owned
        ],
        "sales": [
            {
                "order": row["order_ref"],
                "commission": int(row["amount"]),
                "your_share": int(row["creator_share"]),
                "currency": row["currency"],
                "status": row["status"],
                "at": _when(row["created_at"]),
            }
            for row in sales
        ],
        "clicks_made": [
            {"day": _when(row["day"]), "label": row["label"], "url": row["url"]} for row in made
        ],
    }


async def erase_for(resources: Any, user_id: int) -> None:
    """Delete the member's links and the clicks on them; unlink the clicks they made."""
    owned = [row["id"] for row in await Link.select(Link.id).where(Link.owner == user_id)]
    if owned:
        await Conversion.update({Conversion.click: None, Conversion.link: None}).where(
            Conversion.link.is_in(owned)
        )
        await Click.delete().where(Click.link.is_in(owned))
        await Link.delete().where(Link.id.is_in(owned))
    await Conversion.update({Conversion.creator: None}).where(Conversion.creator == user_id)
    made = await Click.select(Click.id).where(Click.member == user_id)
    for row in made:
        # The dedupe key named the member (``u<id>``); the click stays counted.
        await Click.update({Click.member: None, Click.dedupe: f"erased:{row['id']}"}).where(
            Click.id == row["id"]
        )
