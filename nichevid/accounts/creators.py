"""How members become creators, the accounts that may upload (``accounts.creator_access``).

* ``open`` (the default): a member turns creating on themself, at one click on the
  upload page.
* ``request``: a member asks, with a few words about what they will post;
  moderators and admins approve or decline at ``/admin/members``. One request
  waits at a time; after a decline a member may ask again.
* ``operators``: an admin gives the role at ``/admin/members`` (or
  ``nichevid user set-role NAME creator``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nichevid.accounts.rules import AccountError, clean_text, now
from nichevid.accounts.tables import CreatorRequest, User
from nichevid.accounts.users import set_role
from nichevid.i18n import gettext
from nichevid.social.notifications import notify

MESSAGE_LENGTH = 500


class CreatorError(AccountError):
    """Creating cannot be turned on, asked for or decided; the message says why."""


@dataclass(frozen=True)
class Pending:
    """A request waiting for a decision."""

    id: int
    username: str
    display_name: str
    message: str
    created_at: datetime


def access(settings: Any) -> str:
    """``open``, ``request`` or ``operators``."""
    return str(settings.accounts.creator_access)


async def start(user: User, settings: Any) -> None:
    """Make the member ``user`` a creator (``open`` access only).

    Raises:
        CreatorError: Creating is not open to all, or ``user`` is not a member.
    """
    if access(settings) != "open":
        raise CreatorError(gettext("On this site, the people who run it decide who creates."))
    if user.role != "member":
        raise CreatorError(gettext("Your account can upload already."))
    await set_role(user, "creator")


async def waiting(user: User) -> CreatorRequest | None:
    """``user``'s request that waits for a decision, if any."""
    return (
        await CreatorRequest.objects()
        .where((CreatorRequest.user == user.id) & CreatorRequest.decided_at.is_null())
        .first()
    )


async def last_decided(user: User) -> CreatorRequest | None:
    """``user``'s latest decided request, if any."""
    return (
        await CreatorRequest.objects()
        .where((CreatorRequest.user == user.id) & CreatorRequest.decided_at.is_not_null())
        .order_by(CreatorRequest.id, ascending=False)
        .first()
    )


async def ask(user: User, settings: Any, message: str) -> CreatorRequest:
    """Ask to become a creator (``request`` access only).

    Raises:
        CreatorError: Requests are not how this site works, ``user`` creates already,
            a request of theirs waits already, or the message is too long.
    """
    if access(settings) != "request":
        raise CreatorError(gettext("This site takes no requests to become a creator."))
    if user.role != "member":
        raise CreatorError(gettext("Your account can upload already."))
    if len(message) > MESSAGE_LENGTH:
        raise CreatorError(
            gettext("Say it in at most %(num)s characters.", num=MESSAGE_LENGTH), "message"
        )
    if await waiting(user) is not None:
        raise CreatorError(gettext("Your request waits for the moderators already."))
    request = CreatorRequest(
        user=user.id, message=clean_text(message, MESSAGE_LENGTH, multiline=True)
    )
    await request.save()
    return request


async def waiting_count() -> int:
    """How many requests wait for a decision."""
    return int(await CreatorRequest.count().where(CreatorRequest.decided_at.is_null()))


async def pending() -> list[Pending]:
    """Requests waiting for a decision, oldest first."""
    rows = await (
        CreatorRequest.select(
            CreatorRequest.id,
            CreatorRequest.message,
            CreatorRequest.created_at,
            CreatorRequest.user.username,
            CreatorRequest.user.display_name,
        )
        .where(CreatorRequest.decided_at.is_null())
        .order_by(CreatorRequest.id)
    )
    return [
        Pending(
            id=int(row["id"]),
            username=str(row["user.username"]),
            display_name=str(row["user.display_name"] or ""),
            message=str(row["message"]),
            created_at=row["created_at"],
        )
        for row in rows
    ]


async def decide(request_id: int, moderator: User, approve: bool) -> User:
    """Approve (the member becomes a creator) or decline a waiting request; its member.

    Raises:
        CreatorError: No such request waits (decided already, or never made).
    """
    found = (
        await CreatorRequest.objects()
        .where((CreatorRequest.id == request_id) & CreatorRequest.decided_at.is_null())
        .first()
    )
    member = (
        await User.objects().where(User.id == found.user).first() if found is not None else None
    )
    if found is None or member is None:
        raise CreatorError(gettext("No such request waits for a decision."))
    decided = (
        await CreatorRequest.update(
            {
                CreatorRequest.decided_at: now(),
                CreatorRequest.decided_by: moderator.id,
                CreatorRequest.approved: approve,
            }
        )
        .where((CreatorRequest.id == request_id) & CreatorRequest.decided_at.is_null())
        .returning(CreatorRequest.id)
    )
    if not decided:
        raise CreatorError(gettext("No such request waits for a decision."))
    if approve and member.role == "member":
        await set_role(member, "creator")
    # From the site, not from the moderator who decided.
    await notify(member, "creator_approved" if approve else "creator_declined", None)
    return member
