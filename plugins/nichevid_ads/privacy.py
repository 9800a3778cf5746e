"""A member's ad views in their data export, and what erasing the account leaves."""

from __future__ import annotations

from typing import Any

from nichevid_ads.tables import AdHide, AdView


def _key(user_id: int) -> str:
    return f"u{int(user_id)}"


async def export_for(user_id: int) -> dict[str, Any]:
    """The ads counted as viewed by the member (campaign, advertiser, day, clicked) and the
    campaigns they hid."""
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
    hidden = await AdHide.select(
        AdHide.campaign.name.as_alias("campaign"),
        AdHide.campaign.advertiser.as_alias("advertiser"),
    ).where(AdHide.viewer == _key(user_id))
    views = [
        {
            "day": row["day"].isoformat(),
            "campaign": row["campaign"],
            "advertiser": row["advertiser"],
            "clicked": bool(row["clicked"]),
        }
        for row in rows
    ]
    return {"views": views, "hidden": hidden}


async def erase_for(user_id: int) -> None:
    """Unlink the member from their ad views (the counts advertisers paid for stay) and
    forget the ads they hid."""
    await AdView.update({AdView.viewer: ""}).where(AdView.viewer == _key(user_id))
    await AdHide.delete().where(AdHide.viewer == _key(user_id))
