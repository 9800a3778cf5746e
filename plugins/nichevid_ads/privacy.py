"""A member's ad views in their data export, and what erasing the account leaves."""

from __future__ import annotations

from typing import Any

from nichevid_ads.tables import AdView


def _key(user_id: int) -> str:
    return f"u{int(user_id)}"


async def export_for(user_id: int) -> list[dict[str, Any]]:
    """The ads counted as viewed by the member: campaign, advertiser, day, clicked."""
    rows = (
        await AdView.select(
            AdView.day,
            AdView.clicked,
            AdView.campaign.name.as_alias("campaign"),
            AdView.campaign.advertiser.as_alias("advertiser"),
        )
        .where(AdView.viewer == _key(user_id))
        .order_by(AdView.id)
    )
    return [
        {
            "day": row["day"].isoformat(),
            "campaign": row["campaign"],
            "advertiser": row["advertiser"],
            "clicked": bool(row["clicked"]),
        }
        for row in rows
    ]


async def erase_for(user_id: int) -> None:
    """Unlink the member from their ad views; the counts advertisers paid for stay."""
    await AdView.update({AdView.viewer: ""}).where(AdView.viewer == _key(user_id))
