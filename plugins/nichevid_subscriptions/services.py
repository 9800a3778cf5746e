"""Subscribing, cancelling, and the lists members and creators see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.accounts.tables import User
from nichevid.i18n import gettext
from nichevid.payments import checkout
from nichevid.payments.providers import WebhookError, provider
from nichevid_subscriptions.access import LIVE, access_until, has_access, shown_status
from nichevid_subscriptions.errors import SubscriptionError
from nichevid_subscriptions.lifecycle import PRODUCT_PREFIX
from nichevid_subscriptions.tables import Subscription, Tier
from nichevid_subscriptions.tiers import get_tier


@dataclass(frozen=True)
class Row:
    """One subscription as the member's and the creator's pages show it."""

    id: int
    member: str
    creator: str
    tier: str
    badge: str
    level: int
    price: str
    status: str
    access_until: int
    cancellable: bool

    @property
    def until(self) -> str:
        """The day access ends (UTC), or ``""`` when it does not run."""
        if not self.access_until or self.status in ("lapsed", "ended"):
            return ""
        return datetime.fromtimestamp(self.access_until, UTC).strftime("%Y-%m-%d")


async def subscribe(
    resources: Any, member: Any, tier_id: int, provider_name: str, base_url: str = ""
) -> tuple[Subscription, str]:
    """Start a monthly checkout for ``tier_id``; the provider's events do the rest.

    Returns:
        The pending subscription and the URL to send the member to.

    Raises:
        SubscriptionError: Unknown or retired tier, one's own tier, a subscription to the
            creator that still runs, or a provider that takes no subscriptions.
    """
    tier = await get_tier(tier_id)
    if tier is None or tier.retired:
        raise SubscriptionError(gettext("This tier is not offered any more."), 404)
    if int(tier.creator) == int(member.id):
        raise SubscriptionError(gettext("You cannot subscribe to yourself."), 409)
    running = await Subscription.objects().where(
        (Subscription.member == member.id)
        & (Subscription.creator == tier.creator)
        & Subscription.status.is_in(list(LIVE))
    )
    if any(has_access(sub) for sub in running):
        raise SubscriptionError(
            gettext(
                "You already subscribe to this creator; cancel that subscription "
                "and wait for its end to change tiers."
            ),
            409,
        )
    try:
        started, url = await checkout.start(
            resources,
            user_id=member.id,
            provider_name=provider_name,
            amount=int(tier.price),
            currency=str(tier.currency),
            product=f"{PRODUCT_PREFIX}{tier.id}",
            base_url=base_url,
            interval="month",
            return_path="/subscriptions/mine",
        )
    except checkout.CheckoutError as exc:
        raise SubscriptionError(exc.message, exc.status) from exc
    sub = Subscription(
        member=member.id,
        creator=tier.creator,
        tier=tier.id,
        provider=provider_name,
        checkout_token=started.token,
        provider_ref=started.provider_ref,
        price=tier.price,
        currency=tier.currency,
        status="pending",
    )
    await sub.save()
    return sub, url


async def cancel(resources: Any, member: Any, sub_id: int) -> Subscription:
    """Stop renewing the member's subscription; it runs to the end of the paid period.

    Raises:
        SubscriptionError: 404 for another member's subscription or none; 409 for one
            that is over; 502 when the provider could not be told (nothing changes).
    """
    sub = await Subscription.objects().where(Subscription.id == sub_id).first()
    if sub is None or int(sub.member) != int(member.id):
        raise SubscriptionError(gettext("You have no such subscription."), 404)
    if sub.status not in ("pending", "trialing", "active", "past_due"):
        raise SubscriptionError(gettext("This subscription is cancelled already."), 409)
    chosen = provider(resources, str(sub.provider))
    if chosen is not None and chosen.recurring and sub.status != "pending":
        try:
            await chosen.cancel_subscription(str(sub.provider_ref))
        except WebhookError:
            raise SubscriptionError(
                gettext("The payment provider could not be reached; try again in a minute."),
                502,
            ) from None
    sub.status = "cancelled" if sub.status != "pending" else "ended"
    sub.access_until = access_until(sub, resources.settings)
    await sub.save([Subscription.status, Subscription.access_until])
    return sub


async def _rows(where: Any, now: float | None = None) -> list[Row]:
    subs = (
        await Subscription.objects(Subscription.tier)
        .where(where)
        .order_by(Subscription.id, ascending=False)
    )
    names = (
        {
            int(u["id"]): str(u["username"])
            for u in await User.select(User.id, User.username).where(
                User.id.is_in(
                    sorted({int(s.member) for s in subs} | {int(s.creator) for s in subs})
                )
            )
        }
        if subs
        else {}
    )
    return [
        Row(
            id=int(s.id),
            member=names.get(int(s.member), ""),
            creator=names.get(int(s.creator), ""),
            tier=str(s.tier.name),
            badge=str(s.tier.badge),
            level=int(s.tier.level),
            price=checkout.display(int(s.price), str(s.currency)),
            status=shown_status(s, now),
            access_until=int(s.access_until),
            cancellable=s.status in ("trialing", "active", "past_due"),
        )
        for s in subs
        if s.status != "pending"
    ]


async def of_member(member_id: int) -> list[Row]:
    """The member's subscriptions, newest first (checkouts never paid left out)."""
    return await _rows(Subscription.member == member_id)


async def of_creator(creator_id: int, *, live_only: bool = True) -> list[Row]:
    """The creator's subscribers, newest first; by default only those with access now."""
    rows = await _rows(Subscription.creator == creator_id)
    return [r for r in rows if not live_only or r.status not in ("lapsed", "ended")]


async def badges(creator_id: int, member_ids: list[int]) -> dict[int, str]:
    """``{member id: badge}`` of the members among ``member_ids`` subscribed now to the
    creator (their highest live tier's badge), in one query."""
    if not member_ids:
        return {}
    subs = await Subscription.objects(Subscription.tier).where(
        (Subscription.creator == creator_id)
        & Subscription.member.is_in(member_ids)
        & Subscription.status.is_in(list(LIVE))
    )
    best: dict[int, Tier] = {}
    for sub in subs:
        if has_access(sub):
            member = int(sub.member)
            if member not in best or sub.tier.level > best[member].level:
                best[member] = sub.tier
    return {member: str(tier.badge) for member, tier in best.items()}
