"""Donation receipts: one per donation, numbered, printable by the donor."""

from __future__ import annotations

from typing import Any

from nichevid_gifts.settings import gift_settings
from nichevid_gifts.tables import Gift, Nonprofit, Receipt


def number_for(settings: Any, gift: Gift) -> str:
    """The receipt number of ``gift``: prefix, year, the gift's id (unique, never reused)."""
    year = gift.created_at.year if gift.created_at is not None else 0
    return f"{gift_settings(settings).receipt_prefix}-{year:04d}-{int(gift.id):06d}"


async def issue(settings: Any, gift: Gift, donor: Any, charity: Nonprofit) -> str:
    """The receipt of ``gift`` (issued now, or the one issued by the first try).

    Returns:
        The receipt number.
    """
    number = number_for(settings, gift)
    table = Receipt._meta.tablename
    await Receipt.raw(
        f"INSERT INTO {table} (number, gift, donor, donor_name, recipient_name, "  # noqa: S608
        "registration, coins, void) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (gift) DO NOTHING",
        number,
        gift.id,
        donor.id,
        donor.username,
        charity.legal_name,
        charity.registration,
        int(gift.total),
        False,
    )
    return number


async def get(number: str) -> Receipt | None:
    """The receipt with ``number``, or ``None``."""
    if not 0 < len(number or "") <= 32:
        return None
    return await Receipt.objects().where(Receipt.number == number).first()


async def of_donor(user_id: int) -> list[Receipt]:
    """The donor's receipts, newest first."""
    return (
        await Receipt.objects()
        .where(Receipt.donor == user_id)
        .order_by(Receipt.id, ascending=False)
    )


async def void_for(gift_id: int) -> None:
    """The donation was reversed: its receipt no longer stands."""
    await Receipt.update({Receipt.void: True}).where(Receipt.gift == gift_id)
