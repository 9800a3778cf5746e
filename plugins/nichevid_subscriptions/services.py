"""Subscribing, cancelling, and the lists members and creators see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.accounts.tables import User
from nichevid.i18n import gettext
from nichevid.payments import checkout, events
from nichevid.payments.providers import SubscriptionChange, WebhookError, provider
from nichevid_subscriptions.access import LIVE, access_until, has_access, shown_status
from nichevid_subscriptions.errors import SubscriptionError
from nichevid_subscriptions.lifecycle import PRODUCT_PREFIX
from nichevid_subscriptions.tables import Subscription, Tier
from nichevid_subscriptions.tiers import get_tier

# A monthly period, for the share of it left at a change of tier: 30 days.
PERIOD_SECONDS = 30 * 86400


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
    creator_id: int = 0
    tier_id: int = 0
    # The tier a change waits to move to ("" when none waits).
    next_tier: str = ""
    changeable: bool = False

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


async def change_tier(resources: Any, member: Any, sub_id: int, tier_id: int) -> Subscription:
    """Move the member's running subscription to another tier of the same creator.

    A higher level applies at once: the provider charges its proration for the rest of
    the period (the test provider: the difference of the prices for the share of the
    period left) and reports it, and the member watches at the new tier as soon as
    that report is applied. A lower level applies from the next renewal, at its price;
    until then the member keeps the tier they paid for. Choosing the current tier again
    drops a change that still waits.

    Raises:
        SubscriptionError: 404 for another member's subscription or an unknown tier;
            409 for a subscription that does not run (or is not paid up), a tier of
            another creator, a retired tier or one in another currency; 502 when the
            provider could not be told (nothing changes).
    """
    sub = await Subscription.objects().where(Subscription.id == sub_id).first()
    if sub is None or int(sub.member) != int(member.id):
        raise SubscriptionError(gettext("You have no such subscription."), 404)
    if sub.status != "active" or not has_access(sub):
        raise SubscriptionError(
            gettext(
                "Only a running, paid-up subscription changes tier; subscribe again "
                "once this one has ended."
            ),
            409,
        )
    tier = await get_tier(tier_id)
    if tier is None:
        raise SubscriptionError(gettext("This tier is not offered any more."), 404)
    if int(tier.creator) != int(sub.creator) or tier.retired:
        raise SubscriptionError(gettext("Choose one of this creator's tiers on offer."), 409)
    if str(tier.currency) != str(sub.currency):
        raise SubscriptionError(
            gettext(
                "That tier is priced in %(currency)s; cancel this subscription and "
                "subscribe to it when this one ends.",
                currency=str(tier.currency),
            ),
            409,
        )
    current = await get_tier(int(sub.tier))
    level = int(current.level) if current is not None else 0
    if int(tier.id) == int(sub.tier) and not sub.next_tier:
        raise SubscriptionError(gettext("You subscribe to this tier already."), 409)
    chosen = provider(resources, str(sub.provider))
    if chosen is None or not chosen.recurring:
        raise SubscriptionError(
            gettext("The payment provider could not be reached; try again in a minute."), 502
        )
    back = int(tier.id) == int(sub.tier)
    at_once = int(tier.level) > level and not back
    change = SubscriptionChange(
        checkout=str(sub.checkout_token),
        provider_ref=str(sub.provider_ref),
        amount=int(tier.price),
        previous_amount=int(sub.price),
        currency=str(sub.currency),
        description=str(tier.name),
        at_once=at_once,
        period_start=int(sub.period_end) - PERIOD_SECONDS,
        period_end=int(sub.period_end),
    )
    # Recorded first, so the provider's report finds what it is about.
    waiting = (0, 0) if back else (int(tier.id), int(tier.price))
    previous = (int(sub.next_tier), int(sub.next_price))
    await _wait_for(sub.id, *waiting)
    try:
        reported = await chosen.change_subscription(change)
    except WebhookError:
        await _wait_for(sub.id, *previous)
        raise SubscriptionError(
            gettext("The payment provider could not be reached; try again in a minute."), 502
        ) from None
    await events.record(resources, str(sub.provider), reported)
    found = await Subscription.objects().where(Subscription.id == sub.id).first()
    assert found is not None, "a subscription is only deleted with its member or creator"
    return found


async def _wait_for(sub_id: int, tier_id: int, price: int) -> None:
    await Subscription.update(
        {Subscription.next_tier: tier_id, Subscription.next_price: price}
    ).where(Subscription.id == sub_id)


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
    waiting = [int(s.next_tier) for s in subs if s.next_tier]
    next_names = (
        {
            int(t["id"]): str(t["name"])
            for t in await Tier.select(Tier.id, Tier.name).where(Tier.id.is_in(waiting))
        }
        if waiting
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
            creator_id=int(s.creator),
            tier_id=int(s.tier.id),
            next_tier=next_names.get(int(s.next_tier), ""),
            changeable=s.status == "active" and has_access(s, now),
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
