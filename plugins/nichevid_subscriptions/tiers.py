"""A creator's tiers: define, change and retire them, with every field checked.

Prices are typed in the currency's major unit (``4.99``) and stored in minor units;
a tier's level orders it among the creator's tiers, and a subscriber of a level
watches every video of that level or a lower one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nichevid.accounts.services import has_role
from nichevid.i18n import gettext
from nichevid.payments.checkout import CheckoutError, display, minor_units
from nichevid.payments.settings import payment_settings
from nichevid_subscriptions.errors import SubscriptionError
from nichevid_subscriptions.settings import subscription_settings
from nichevid_subscriptions.tables import Tier

NAME_MAX, BADGE_MAX, PERKS_MAX = 60, 24, 1000


@dataclass(frozen=True)
class TierInput:
    """What the tier form sends, as text."""

    name: str
    price: str
    currency: str
    perks: str = ""
    badge: str = ""
    level: str = ""


def _check_creator(user: Any) -> None:
    if not has_role(user, "creator"):
        raise SubscriptionError(
            gettext("Only creators offer subscriptions; ask an admin to make you a creator."), 403
        )


def _checked(settings: Any, data: TierInput) -> dict[Any, Any]:
    name = " ".join(data.name.split())
    if not 0 < len(name) <= NAME_MAX:
        raise SubscriptionError(
            gettext("Give the tier a name of 1 to %(max)s characters.", max=NAME_MAX)
        )
    currencies = payment_settings(settings).currencies
    currency = data.currency.strip().upper()
    if currency not in currencies:
        raise SubscriptionError(
            gettext(
                "%(currency)s is not taken here; choose one of %(currencies)s.",
                currency=repr(data.currency),
                currencies=", ".join(currencies),
            )
        )
    try:
        price = minor_units(data.price, currency)
    except CheckoutError as exc:
        raise SubscriptionError(exc.message) from None
    limit = payment_settings(settings).max_checkout_amount
    if price > limit:
        raise SubscriptionError(
            gettext("A monthly price is at most %(limit)s.", limit=display(limit, currency))
        )
    badge = " ".join(data.badge.split()) or name
    if len(badge) > BADGE_MAX:
        raise SubscriptionError(
            gettext("Give the tier a badge of at most %(max)s characters.", max=BADGE_MAX)
        )
    perks = data.perks.strip()
    if len(perks) > PERKS_MAX:
        raise SubscriptionError(
            gettext("Describe the perks in at most %(max)s characters.", max=PERKS_MAX)
        )
    return {
        Tier.name: name,
        Tier.price: price,
        Tier.currency: currency,
        Tier.badge: badge,
        Tier.perks: perks,
    }


def _level(settings: Any, text: str, taken: set[int]) -> int:
    top = subscription_settings(settings).max_tiers
    try:
        level = int(text.strip())
    except ValueError:
        level = 0
    if not 1 <= level <= top:
        raise SubscriptionError(gettext("The level is a whole number from 1 to %(max)s.", max=top))
    if level in taken:
        raise SubscriptionError(
            gettext("Another of your tiers has level %(level)s; pick a free one.", level=level)
        )
    return level


async def tiers_of(creator_id: int, *, with_retired: bool = False) -> list[Tier]:
    """The creator's tiers, lowest level first (retired ones only when asked)."""
    query = Tier.objects().where(Tier.creator == creator_id)
    if not with_retired:
        query = query.where(Tier.retired.eq(False))
    return list(await query.order_by(Tier.retired).order_by(Tier.level).order_by(Tier.id))


async def get_tier(tier_id: int) -> Tier | None:
    """The tier with this id, or ``None``."""
    return await Tier.objects().where(Tier.id == tier_id).first()


async def own_tier(user: Any, tier_id: int) -> Tier:
    """The creator's own tier ``tier_id``.

    Raises:
        SubscriptionError: 404 for another creator's tier or none.
    """
    tier = await get_tier(tier_id)
    if tier is None or int(tier.creator) != int(user.id):
        raise SubscriptionError(gettext("You have no such tier."), 404)
    return tier


async def create_tier(settings: Any, user: Any, data: TierInput) -> Tier:
    """Store a new tier of ``user``.

    Raises:
        SubscriptionError: Not a creator, a bad field, a level taken, too many tiers.
    """
    _check_creator(user)
    values = _checked(settings, data)
    live = await tiers_of(user.id)
    top = subscription_settings(settings).max_tiers
    if len(live) >= top:
        raise SubscriptionError(
            gettext("You offer %(max)s tiers already; retire one first.", max=top), 409
        )
    taken = {t.level for t in live}
    level_text = data.level or str(min(set(range(1, top + 1)) - taken))
    tier = Tier(creator=user.id, level=_level(settings, level_text, taken), retired=False)
    for column, value in values.items():
        setattr(tier, column._meta.name, value)
    await tier.save()
    return tier


async def update_tier(settings: Any, user: Any, tier_id: int, data: TierInput) -> Tier:
    """Change a tier; running subscriptions keep the price they signed up for.

    Raises:
        SubscriptionError: Not the creator's, retired, or a bad field.
    """
    tier = await own_tier(user, tier_id)
    if tier.retired:
        raise SubscriptionError(gettext("A retired tier cannot be changed."), 409)
    values = _checked(settings, data)
    taken = {t.level for t in await tiers_of(user.id) if t.id != tier.id}
    values[Tier.level] = _level(settings, data.level or str(tier.level), taken)
    await Tier.update(values).where(Tier.id == tier.id)
    updated = await get_tier(tier.id)
    assert updated is not None
    return updated


async def retire_tier(user: Any, tier_id: int) -> Tier:
    """Take a tier off sale: no new subscribers; running subscriptions go on."""
    tier = await own_tier(user, tier_id)
    await Tier.update({Tier.retired: True}).where(Tier.id == tier.id)
    tier.retired = True
    return tier
