"""The gift catalogue: seeded defaults, and the operator's additions and changes.

The catalogue lives in the database so operators edit it on ``/admin/gifts``. When the
table is empty (a new instance) the defaults below are put in at start-up; retiring a
gift keeps its row, so defaults never come back over an operator's choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nichevid.i18n import gettext
from nichevid_gifts.errors import GiftError
from nichevid_gifts.tables import GiftItem

# Vendored icons in static/icons/<name>.svg; no external assets.
ICONS = ("rose", "heart", "coffee", "star", "rocket", "crown")
# CSS animations in static/gifts.css (``nv-gift-anim--<name>``); still under reduced motion.
ANIMATIONS = ("float", "pop", "spin", "rain")
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MOST_COINS = 1_000_000


@dataclass(frozen=True)
class Default:
    """A gift every new instance starts with."""

    key: str
    name: str
    coins: int
    icon: str
    animation: str


DEFAULTS = (
    Default("rose", "Rose", 1, "rose", "float"),
    Default("heart", "Heart", 5, "heart", "pop"),
    Default("coffee", "Coffee", 10, "coffee", "float"),
    Default("star", "Star", 50, "star", "spin"),
    Default("rocket", "Rocket", 100, "rocket", "rain"),
    Default("crown", "Crown", 500, "crown", "pop"),
)


def label(name: str) -> str:
    """A gift's name in the reader's language: the default gifts' names are translated,
    names the operator gave are shown as given."""
    translated = {
        "Rose": gettext("Rose"),
        "Heart": gettext("Heart"),
        "Coffee": gettext("Coffee"),
        "Star": gettext("Star"),
        "Rocket": gettext("Rocket"),
        "Crown": gettext("Crown"),
    }
    return translated.get(name, name)


async def seed_defaults() -> int:
    """Put the default gifts in an empty catalogue.

    Returns:
        How many gifts were added (0 when the catalogue had any row).
    """
    if await GiftItem.count() > 0:
        return 0
    table = GiftItem._meta.tablename
    for position, item in enumerate(DEFAULTS):
        # Two web processes starting at once both see an empty table; the key decides.
        await GiftItem.raw(
            f"INSERT INTO {table} (key, name, coins, icon, animation, position, active) "  # noqa: S608
            "VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (key) DO NOTHING",
            item.key,
            item.name,
            item.coins,
            item.icon,
            item.animation,
            position,
            True,
        )
    return len(DEFAULTS)


async def items(*, active_only: bool = True) -> list[GiftItem]:
    """The catalogue in its order, cheapest first within a position."""
    query = GiftItem.objects()
    if active_only:
        query = query.where(GiftItem.active == True)  # noqa: E712
    rows = await query
    return sorted(rows, key=lambda row: (row.position, row.coins, row.key))


async def get(key: str, *, active_only: bool = True) -> GiftItem | None:
    """The gift ``key`` names, or ``None``."""
    if not KEY.match(key or ""):
        return None
    row = await GiftItem.objects().where(GiftItem.key == key).first()
    if row is None or (active_only and not row.active):
        return None
    return row


def _coins(text: str) -> int:
    value = (text or "").strip()
    if not re.fullmatch(r"\d+", value) or not 0 < int(value) <= MOST_COINS:
        raise GiftError(
            gettext("The price is a whole number of coins from 1 to %(most)s.", most=MOST_COINS)
        )
    return int(value)


async def save(
    *, key: str, name: str, coins: str, icon: str, animation: str, position: str = "0"
) -> GiftItem:
    """Add a gift, or change the one ``key`` names (and bring it back if retired).

    Raises:
        GiftError: A bad key, an empty name, a price that is not a whole number of
            coins, an unknown icon or animation.
    """
    key = (key or "").strip().lower()
    if not KEY.match(key):
        raise GiftError(
            gettext(
                "The key is 1-32 lower-case letters, digits, - or _, like %(example)s.",
                example="golden-star",
            )
        )
    name = (name or "").strip()
    if not 0 < len(name) <= 64:
        raise GiftError(gettext("Give the gift a name of at most 64 characters."))
    price = _coins(coins)
    if icon not in ICONS:
        raise GiftError(gettext("Choose one of the icons offered."))
    if animation not in ANIMATIONS:
        raise GiftError(gettext("Choose one of the animations offered."))
    order = int(position) if re.fullmatch(r"-?\d{1,6}", (position or "0").strip()) else 0
    values: dict[Any, Any] = {
        GiftItem.name: name,
        GiftItem.coins: price,
        GiftItem.icon: icon,
        GiftItem.animation: animation,
        GiftItem.position: order,
        GiftItem.active: True,
    }
    found = await GiftItem.objects().where(GiftItem.key == key).first()
    if found is None:
        row = GiftItem(key=key)
        for column, value in values.items():
            setattr(row, column._meta.name, value)
        await row.save()
        return row
    await GiftItem.update(values).where(GiftItem.id == found.id)
    saved = await GiftItem.objects().where(GiftItem.id == found.id).first()
    assert saved is not None
    return saved


async def retire(key: str) -> None:
    """Take a gift off the picker; past sends keep their records.

    Raises:
        GiftError: No gift has this key (404).
    """
    found = await get(key, active_only=False)
    if found is None:
        raise GiftError(gettext("There is no gift %(key)s.", key=key), 404)
    await GiftItem.update({GiftItem.active: False}).where(GiftItem.id == found.id)
