"""Nonprofit accounts: the operator marks them; gifts to them are donations."""

from __future__ import annotations

from typing import Any

from nichevid.accounts.services import get_user_by_username
from nichevid.i18n import gettext
from nichevid_gifts.errors import GiftError
from nichevid_gifts.tables import Nonprofit


async def of(user_id: int) -> Nonprofit | None:
    """The nonprofit record of the account ``user_id``, or ``None``."""
    return await Nonprofit.objects().where(Nonprofit.user == user_id).first()


async def mark(username: str, legal_name: str, registration: str = "") -> Nonprofit:
    """Mark the account ``username`` as a nonprofit (or change its legal details).

    Raises:
        GiftError: No such account (404), an empty or too long legal name or number.
    """
    member = await get_user_by_username((username or "").strip().lstrip("@"))
    if member is None:
        raise GiftError(gettext("There is no member %(name)s.", name=username or "?"), 404)
    legal_name, registration = (legal_name or "").strip(), (registration or "").strip()
    if not 0 < len(legal_name) <= 120:
        raise GiftError(gettext("Give the legal name of the nonprofit, at most 120 characters."))
    if len(registration) > 64:
        raise GiftError(gettext("The registration number has at most 64 characters."))
    found = await of(member.id)
    if found is None:
        row = Nonprofit(user=member.id, legal_name=legal_name, registration=registration)
        await row.save()
        return row
    await Nonprofit.update(
        {Nonprofit.legal_name: legal_name, Nonprofit.registration: registration}
    ).where(Nonprofit.id == found.id)
    found.legal_name, found.registration = legal_name, registration
    return found


async def unmark(username: str) -> bool:
    """Gifts to ``username`` are plain gifts again; past receipts stand.

    Returns:
        Whether the account was marked.
    """
    member = await get_user_by_username((username or "").strip().lstrip("@"))
    if member is None:
        return False
    rows = await Nonprofit.delete().where(Nonprofit.user == member.id).returning(Nonprofit.id)
    return bool(rows)


async def listed() -> list[dict[str, Any]]:
    """Every nonprofit with its account's username, by legal name."""
    rows = await Nonprofit.select(
        Nonprofit.id,
        Nonprofit.legal_name,
        Nonprofit.registration,
        Nonprofit.marked_at,
        Nonprofit.user.username.as_alias("username"),
    ).order_by(Nonprofit.legal_name)
    return list(rows)
