"""Sending a gift: checks, the ledger post, the record, and a receipt for donations.

The ledger post comes first and is keyed ``gift-send:<send id>`` (the id the sender's
page made), so a retried send posts nothing new and a send id reused for another gift
is refused (409). The record is written after the post with the same send id; a retry
after a crash in between writes it then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nichevid.accounts.services import get_user_by_id, get_user_by_username
from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.payments import moves
from nichevid.payments.accounts import COINS
from nichevid.payments.ledger import IdempotencyConflict, LedgerError, Overdraft
from nichevid.safety.blocks import blocked_between
from nichevid_gifts import catalogue, nonprofits
from nichevid_gifts.errors import GiftError
from nichevid_gifts.settings import gift_settings
from nichevid_gifts.tables import Gift, GiftItem

SEND_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class Target:
    """Where a gift goes: a video (its creator) or a member's profile."""

    video_slug: str = ""
    username: str = ""


@dataclass
class Sent:
    """A recorded send; ``replayed`` is true when this send id was recorded before."""

    gift: Gift
    item: GiftItem
    recipient: Any
    replayed: bool = False
    receipt: str = ""


def parse_count(text: Any, most: int) -> int:
    """How many gifts a form asked for.

    Raises:
        GiftError: Not a whole number, below 1 or above ``most``.
    """
    value = str(text if text is not None else "1").strip() or "1"
    if not re.fullmatch(r"[+-]?\d+", value):
        raise GiftError(gettext("Send a whole number of gifts, like 1 or 3."))
    count = int(value)
    if count < 1:
        raise GiftError(gettext("Send at least one gift."))
    if count > most:
        raise GiftError(gettext("Send at most %(most)s gifts at once.", most=most))
    return count


async def _recipient(resources: Any, sender: Any, target: Target) -> tuple[Any, Any]:
    """The recipient and the video (or ``None``) of ``target``, checked for ``sender``."""
    if target.video_slug:
        video = await media.get_video(slug=target.video_slug[:16])
        if video is None or video.status == "removed":
            raise GiftError(gettext("This video is gone; gifts go to videos that play."), 404)
        if video.status != "ready":
            raise GiftError(gettext("This video is not ready yet; send a gift once it plays."), 409)
        if video.visibility == "private" or not await media.may_view(resources, video, sender):
            raise GiftError(gettext("You cannot send gifts to a video you cannot watch."), 403)
        owner_id = video.owner if isinstance(video.owner, int) else video.owner.id
        return await get_user_by_id(int(owner_id)), video
    recipient = await get_user_by_username(target.username) if target.username else None
    if recipient is None or not recipient.is_active:
        raise GiftError(
            gettext("There is no member %(name)s to send a gift to.", name=target.username or "?"),
            404,
        )
    return recipient, None


async def send(
    resources: Any, *, sender: Any, send_id: str, item_key: str, count: int, target: Target
) -> Sent:
    """Send ``count`` times the gift ``item_key`` from ``sender`` to ``target``.

    Args:
        resources: The running resources.
        sender: The signed-in member.
        send_id: The id the sender's page made for this send (8-64 letters, digits, - _).
        item_key: A gift of the catalogue.
        count: How many (checked with :func:`parse_count` by the route).
        target: The video or profile it is sent from.

    Returns:
        The recorded send (``replayed`` for a retry of the same send).

    Raises:
        GiftError: A bad send id, an unknown gift, a gift to oneself, to a video that is
            gone, not ready or not visible, across a block; too few coins (409, ``buy``);
            a send id already used for another gift (409).
    """
    if not SEND_ID.match(send_id or ""):
        raise GiftError(gettext("This send has no valid id; reload the page and try again."))
    most = gift_settings(resources.settings).max_count
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= most:
        raise GiftError(gettext("Send from 1 to %(most)s gifts at once.", most=most))
    item = await catalogue.get(item_key)
    if item is None:
        raise GiftError(gettext("There is no such gift; choose one from the list."), 404)
    recipient, video = await _recipient(resources, sender, target)
    if recipient is None or not recipient.is_active:
        raise GiftError(gettext("This creator's account is gone."), 404)
    if recipient.id == sender.id:
        raise GiftError(gettext("You cannot send a gift to yourself."))
    if await blocked_between(sender, recipient):
        raise GiftError(gettext("You cannot send gifts to this account."), 403)
    charity = await nonprofits.of(recipient.id)
    kind = "donation" if charity is not None else "gift"
    total = int(item.coins) * count
    where = f"v:{video.slug}" if video is not None else f"u:{recipient.id}"
    try:
        posted = await moves.spend(
            resources.settings,
            payer=sender.id,
            payee=recipient.id,
            amount=total,
            unit=COINS,
            kind=kind,
            reference=f"gift:{item.key}x{count}:{where}",
            idempotency_key=f"gift-send:{send_id}",
        )
    except Overdraft:
        raise GiftError(
            gettext("You have too few coins for this; buy coins and send it again."),
            409,
            buy=True,
        ) from None
    except IdempotencyConflict:
        raise GiftError(
            gettext("This send id was already used for another gift; reload and try again."),
            409,
        ) from None
    except LedgerError as exc:
        raise GiftError(exc.message, exc.status) from None
    gift, fresh = await _record(
        send_id, sender, recipient, video, item, count, total, kind, posted.id
    )
    number = ""
    if kind == "donation" and charity is not None:
        from nichevid_gifts import receipts

        number = await receipts.issue(resources.settings, gift, sender, charity)
    return Sent(gift, item, recipient, replayed=not fresh, receipt=number)


async def _record(
    send_id: str,
    sender: Any,
    recipient: Any,
    video: Any,
    item: GiftItem,
    count: int,
    total: int,
    kind: str,
    transaction_id: int,
) -> tuple[Gift, bool]:
    table = Gift._meta.tablename
    rows = await Gift.raw(
        f"INSERT INTO {table} (send_id, sender, recipient, video, item_key, item_name, "  # noqa: S608
        "coins_each, quantity, total, kind, transaction_id, status) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'sent') "
        "ON CONFLICT (send_id) DO NOTHING RETURNING id",
        send_id,
        sender.id,
        recipient.id,
        video.id if video is not None else None,
        item.key,
        item.name,
        int(item.coins),
        count,
        total,
        kind,
        transaction_id,
    )
    gift = await Gift.objects().where(Gift.send_id == send_id).first()
    assert gift is not None  # just inserted, or inserted by the first try
    return gift, bool(rows)
