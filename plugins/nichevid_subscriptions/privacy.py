"""A member's subscription data: exported on request, removed with the account.

Erasing a member stops every subscription they pay for or receive at its provider
first (a provider that cannot be reached stops the erasure, which is tried again),
then deletes their tiers, subscriptions and video tiers. The ledger keeps the paid
periods, which name only the subscription's number.
"""

from __future__ import annotations

from typing import Any

from nichevid.accounts.tables import User
from nichevid.payments.providers import provider
from nichevid_subscriptions.access import shown_status
from nichevid_subscriptions.tables import Subscription, Tier


async def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await User.select(User.id, User.username).where(User.id.is_in(sorted(ids)))
    return {int(r["id"]): str(r["username"]) for r in rows}


def _sub(sub: Subscription, names: dict[int, str]) -> dict[str, Any]:
    return {
        "member": names.get(int(sub.member), ""),
        "creator": names.get(int(sub.creator), ""),
        "tier": sub.tier.name,
        "price": sub.price,
        "currency": sub.currency,
        "status": shown_status(sub),
        "paid_until": sub.period_end,
        "started": sub.created_at.isoformat(),
    }


async def export_for(user_id: int) -> dict[str, Any]:
    """Everything the subscriptions plugin holds about ``user_id``, as plain data."""
    tiers = await Tier.objects().where(Tier.creator == user_id).order_by(Tier.id)
    paid = await Subscription.objects(Subscription.tier).where(Subscription.member == user_id)
    received = await Subscription.objects(Subscription.tier).where(Subscription.creator == user_id)
    names = await _names(
        {int(s.member) for s in [*paid, *received]} | {int(s.creator) for s in [*paid, *received]}
    )
    return {
        "tiers": [
            {
                "level": t.level,
                "name": t.name,
                "price": t.price,
                "currency": t.currency,
                "perks": t.perks,
                "badge": t.badge,
                "retired": t.retired,
            }
            for t in tiers
        ],
        "subscriptions": [_sub(s, names) for s in paid if s.status != "pending"],
        "subscribers": [_sub(s, names) for s in received if s.status != "pending"],
    }


async def delete_for(resources: Any, user_id: int) -> None:
    """Stop and delete every subscription of ``user_id`` (both sides) and their tiers.

    Raises:
        WebhookError: A provider could not stop a running subscription; nothing is
            deleted and the erasure is tried again.
    """
    subs = await Subscription.objects().where(
        (Subscription.member == user_id) | (Subscription.creator == user_id)
    )
    for sub in subs:
        chosen = provider(resources, str(sub.provider))
        running = sub.status in ("trialing", "active", "past_due") and sub.provider_ref
        if chosen is not None and chosen.recurring and running:
            await chosen.cancel_subscription(str(sub.provider_ref))
    await Subscription.delete().where(
        (Subscription.member == user_id) | (Subscription.creator == user_id)
    )
    # Cascades to the minimum tiers of the creator's videos.
    await Tier.delete().where(Tier.creator == user_id)
