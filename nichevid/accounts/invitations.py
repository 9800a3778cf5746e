"""Invitations: sign-up links a member hands out, ``/signup?invite=<code>``.

With ``accounts.invite_only`` sign-up takes one; on an open site they still record who
brought whom. Members of ``accounts.invite_roles`` (admins always) make them for a
number of uses (1 to :data:`MAX_USES`) and days (or for good), may hold
``accounts.invitations_per_member`` open ones at once (admins: no limit), see who
joined with each, and revoke them. A use is claimed before the account is made and
given back when making it fails, so two people racing for the last use never both
get it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from nichevid.accounts.rules import AccountError, aware, clean_text, now
from nichevid.accounts.tables import Invitation, InvitationUse, User
from nichevid.i18n import gettext
from nichevid.social.notifications import notify

MAX_USES = 100
# Days an invitation may be made for; 0: until revoked.
DAYS = (1, 7, 30, 0)
NOTE_LENGTH = 100
OPEN, USED_UP, EXPIRED, REVOKED = "open", "used_up", "expired", "revoked"


class InvitationError(AccountError):
    """An invitation cannot be made, used or revoked; the message says why."""


@dataclass
class InvitationView:
    """One invitation as its inviter sees it."""

    id: int
    code: str
    inviter: str
    note: str
    max_uses: int
    uses: int
    expires_at: datetime | None
    created_at: datetime
    status: str
    joined: list[str] = field(default_factory=list)


def may_invite(user: User | None, settings: Any) -> bool:
    """Whether ``user`` may make invitations (``accounts.invite_roles``; admins always)."""
    if user is None or not user.is_active:
        return False
    return user.role == "admin" or user.role in settings.accounts.invite_roles


def status_of(row: dict[str, Any], at: datetime | None = None) -> str:
    """:data:`OPEN`, :data:`USED_UP`, :data:`EXPIRED` or :data:`REVOKED`."""
    if row["revoked_at"] is not None:
        return REVOKED
    expires = row["expires_at"]
    if expires is not None and aware(expires) <= (at or now()):
        return EXPIRED
    if row["uses"] >= row["max_uses"]:
        return USED_UP
    return OPEN


async def create(user: User, settings: Any, *, uses: int, days: int, note: str = "") -> Invitation:
    """A new invitation of ``user`` for ``uses`` sign-ups over ``days`` days (0: for good).

    Raises:
        InvitationError: ``user`` may not invite, holds too many open invitations, or
            the uses, days or note are out of range.
    """
    if not may_invite(user, settings):
        raise InvitationError(gettext("Your account may not make invitations on this site."))
    if not 1 <= uses <= MAX_USES:
        raise InvitationError(
            gettext("An invitation is for 1 to %(num)s sign-ups.", num=MAX_USES), "uses"
        )
    if days not in DAYS:
        raise InvitationError(
            gettext("An invitation lasts 1, 7 or 30 days, or until you revoke it."), "days"
        )
    if len(note) > NOTE_LENGTH:
        raise InvitationError(
            gettext("Keep the note to %(num)s characters.", num=NOTE_LENGTH), "note"
        )
    label = clean_text(note, NOTE_LENGTH)
    if user.role != "admin":
        limit = settings.accounts.invitations_per_member
        held = [row for row in await _rows(Invitation.inviter == user.id) if status_of(row) == OPEN]
        if len(held) >= limit:
            raise InvitationError(
                gettext(
                    "You have %(num)s open invitations, the most you may hold; revoke one first.",
                    num=limit,
                )
            )
    row = Invitation(
        code=secrets.token_urlsafe(16),
        inviter=user.id,
        note=label,
        max_uses=uses,
        expires_at=now() + timedelta(days=days) if days else None,
    )
    await row.save()
    return row


async def _rows(where: Any) -> list[dict[str, Any]]:
    return list(
        await Invitation.select(
            *Invitation.all_columns(), Invitation.inviter.username.as_alias("inviter_name")
        )
        .where(where)
        .order_by(Invitation.id, ascending=False)
    )


async def listed(user: User, *, everyone: bool = False) -> list[InvitationView]:
    """``user``'s invitations, newest first, with who joined (every one's for ``everyone``)."""
    rows = await _rows(Invitation.id > 0 if everyone else Invitation.inviter == user.id)
    joined: dict[int, list[str]] = {}
    if rows:
        uses = await (
            InvitationUse.select(InvitationUse.invitation, InvitationUse.user.username)
            .where(InvitationUse.invitation.is_in([row["id"] for row in rows]))
            .order_by(InvitationUse.id)
        )
        for use in uses:
            joined.setdefault(int(use["invitation"]), []).append(str(use["user.username"]))
    at = now()
    return [
        InvitationView(
            id=int(row["id"]),
            code=str(row["code"]),
            inviter=str(row["inviter_name"]),
            note=str(row["note"]),
            max_uses=int(row["max_uses"]),
            uses=int(row["uses"]),
            expires_at=row["expires_at"],
            created_at=row["created_at"],
            status=status_of(row, at),
            joined=joined.get(int(row["id"]), []),
        )
        for row in rows
    ]


async def revoke(user: User, invitation_id: int) -> None:
    """Revoke one of ``user``'s invitations (an admin: anyone's); no more sign-ups with it.

    Raises:
        InvitationError: No such invitation of theirs.
    """
    where: Any = Invitation.id == invitation_id
    if user.role != "admin":
        where &= Invitation.inviter == user.id
    found = await Invitation.select(Invitation.id).where(where).first()
    if found is None:
        raise InvitationError(gettext("You have no such invitation."))
    await Invitation.update({Invitation.revoked_at: now()}).where(
        where & Invitation.revoked_at.is_null()
    )


def refusal(status: str) -> str:
    """Why an invitation in ``status`` (or an unknown one) lets nobody in."""
    if status == EXPIRED:
        return gettext("This invitation has expired; ask for a new one.")
    if status == USED_UP:
        return gettext("This invitation has been used as often as it may; ask for a new one.")
    return gettext("This invitation link is not valid; check it, or ask for a new one.")


async def check(code: str) -> str | None:
    """``None`` when ``code`` may be used now; else why not (see :func:`refusal`)."""
    row = await Invitation.select().where(Invitation.code == code).first() if code else None
    if row is None:
        return refusal(REVOKED)
    status = status_of(row)
    return None if status == OPEN else refusal(status)


async def claim(code: str) -> int:
    """Take one use of the invitation ``code``; its id.

    Raises:
        InvitationError: The invitation is unknown, revoked, expired or used up.
    """
    reason = await check(code)
    if reason is not None:
        raise InvitationError(reason)
    # One statement, so two sign-ups racing for the last use never both get it.
    taken = await Invitation.raw(
        f"UPDATE {Invitation._meta.tablename} SET uses = uses + 1 "  # noqa: S608 - table name only
        "WHERE code = {} AND uses < max_uses AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > {}) RETURNING id",
        code,
        now(),
    )
    if not taken:
        raise InvitationError(refusal(USED_UP))
    return int(taken[0]["id"])


async def give_back(invitation_id: int) -> None:
    """Return a claimed use whose sign-up failed."""
    await Invitation.update({Invitation.uses: Invitation.uses - 1}).where(
        (Invitation.id == invitation_id) & (Invitation.uses > 0)
    )


async def record(invitation_id: int, user: User) -> None:
    """``user`` signed up with the invitation ``invitation_id``; its inviter is told."""
    await InvitationUse(invitation=invitation_id, user=user.id).save()
    row = await Invitation.select(Invitation.inviter).where(Invitation.id == invitation_id).first()
    if row is not None:
        await notify(row["inviter"], "joined", user)


def link(base: str, code: str) -> str:
    """The sign-up link of an invitation."""
    return f"{base.rstrip('/')}/signup?invite={code}"
