"""Gift settings: the ``[plugin.gifts]`` section.

Coin packs are the offers a member can buy; a bad pack stops start-up with one line
naming it. ``NICHEVID_PLUGIN__GIFTS__<KEY>`` sets a key from the environment.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from babel.numbers import list_currencies

from nichevid.settings import plugin_section

SECTION = "gifts"

Positive = Annotated[int, msgspec.Meta(ge=1)]
PACK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class CoinPack(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One offer: ``coins`` for ``price`` minor units of ``currency``."""

    name: str
    coins: Positive
    # In the currency's minor unit: 499 is 4.99 EUR.
    price: Positive
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not PACK_NAME.match(self.name):
            raise ValueError(
                f"coin pack name {self.name!r} must be 1-32 lower-case letters, digits, - or _"
            )
        code = self.currency.strip().upper()
        if code not in list_currencies():
            raise ValueError(
                f"coin pack {self.name!r}: {self.currency!r} is not an ISO 4217 currency"
                " (use a code such as EUR, USD, GBP)"
            )
        self.currency = code


def _default_packs() -> list[CoinPack]:
    return [
        CoinPack(name="handful", coins=100, price=99),
        CoinPack(name="pouch", coins=550, price=499),
        CoinPack(name="chest", coins=1200, price=999),
    ]


class GiftSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Coin packs, how many gifts one send may carry, top-gifter lists and receipts."""

    # The coin packs members may buy, cheapest first on the page.
    coin_packs: list[CoinPack] = msgspec.field(default_factory=_default_packs)
    # Most gifts of one kind in one send.
    max_count: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 99
    # Length of a creator's top-gifter list (when the creator shows it).
    top_gifters: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    # Donation receipt numbers start with this, e.g. ``DON-2026-000042``.
    receipt_prefix: str = "DON"

    def __post_init__(self) -> None:
        names = [pack.name for pack in self.coin_packs]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"plugin.gifts.coin_packs names {', '.join(doubled)} twice")
        if not re.fullmatch(r"[A-Z0-9]{1,8}", self.receipt_prefix):
            raise ValueError(
                f"plugin.gifts.receipt_prefix {self.receipt_prefix!r} must be 1-8 capital "
                "letters or digits"
            )
        self.coin_packs = sorted(self.coin_packs, key=lambda pack: (pack.currency, pack.price))


def gift_settings(settings: Any) -> GiftSettings:
    """The instance's ``[plugin.gifts]`` settings (defaults when not parsed)."""
    return plugin_section(settings, SECTION, GiftSettings)


def pack(settings: Any, name: str) -> CoinPack | None:
    """The coin pack called ``name``, or ``None``."""
    return next((p for p in gift_settings(settings).coin_packs if p.name == name), None)
