"""E-mail addresses: confirming the one an account was made with, and changing it.

* With ``accounts.confirm_email``, a new account is mailed a link; until it is
  opened, the account may browse, like and follow but not upload or comment (the
  ``upload_accept`` and ``comment_accept`` gates say why). Accounts made before the
  setting was on are not asked.
* A member changes their address at ``/settings/email`` with their password; the
  new address gets a link and replaces the old one only once the link is opened
  (the old address is told), so nobody can move an account to an address they do
  not read.

Links are single-use, last :data:`LINK_HOURS` hours, and only their SHA-256 is kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from nichevid.accounts.mail import SEND_MAIL
from nichevid.accounts.passwords import verify_password
from nichevid.accounts.rules import AccountError, aware, check_email, now
from nichevid.accounts.tables import EmailCheck, User
from nichevid.accounts.tokens import hash_token
from nichevid.i18n import gettext

LINK_HOURS = 48
SIGNUP, CHANGE = "signup", "change"


@dataclass(frozen=True)
class AddressState:
    """What the settings page says about a member's address."""

    email: str
    confirmed: bool  # a link to it was opened
    waiting: bool  # the sign-up link is not opened yet (uploads and comments wait)
    new_email: str  # an address change waiting for its link, if any


async def _mail_link(resources: Any, user: User, email: str, purpose: str) -> str:
    """Store a fresh link for ``email`` and queue its mail; the plain token."""
    settings = resources.settings
    token = secrets.token_urlsafe(32)
    row = EmailCheck(
        user=user.id,
        email=email,
        purpose=purpose,
        token_hash=hash_token(token),
        expires_at=now() + timedelta(hours=LINK_HOURS),
    )
    await row.save()
    link = f"{settings.public_url}/email/confirm/{token}"
    name, site = user.display_name or user.username, settings.site_name
    if purpose == SIGNUP:
        subject = gettext("Confirm your e-mail address for %(site)s", site=site)
        body = gettext(
            "Hello %(name)s,\n\nwelcome to %(site)s! To confirm that this address is yours, "
            "open this link within %(hours)s hours:\n\n%(link)s\n\n"
            "If you did not sign up, ignore this message.\n",
            name=name,
            site=site,
            hours=LINK_HOURS,
            link=link,
        )
    else:
        subject = gettext("Confirm your new e-mail address for %(site)s", site=site)
        body = gettext(
            "Hello %(name)s,\n\nto make this the address of your %(site)s account, "
            "open this link within %(hours)s hours:\n\n%(link)s\n\n"
            "If you did not ask for it, ignore this message; nothing changes.\n",
            name=name,
            site=site,
            hours=LINK_HOURS,
            link=link,
        )
    await resources.jobs.enqueue(
        SEND_MAIL, job_id=f"mail:email:{row.id}", to=email, subject=subject, body=body
    )
    return token


async def on_signup(resources: Any, user: User) -> str | None:
    """Mail a new account its confirmation link (``accounts.confirm_email``); the token."""
    if not resources.settings.accounts.confirm_email:
        return None
    return await _mail_link(resources, user, user.email, SIGNUP)


async def state(user: User) -> AddressState:
    """The member's address and what waits for a link."""
    rows = await EmailCheck.select(
        EmailCheck.email, EmailCheck.purpose, EmailCheck.confirmed_at, EmailCheck.expires_at
    ).where(EmailCheck.user == user.id)
    confirmed = any(r["confirmed_at"] is not None and r["email"] == user.email for r in rows)
    signed_up = any(r["purpose"] == SIGNUP for r in rows)
    at = now()
    changes = [
        r
        for r in rows
        if r["purpose"] == CHANGE and r["confirmed_at"] is None and aware(r["expires_at"]) > at
    ]
    return AddressState(
        email=user.email,
        confirmed=confirmed,
        waiting=signed_up and not confirmed,
        new_email=str(changes[-1]["email"]) if changes else "",
    )


async def unconfirmed_refusal(user: Any, settings: Any) -> str | None:
    """Why ``user`` may not post yet (their sign-up address waits for its link), or ``None``."""
    if user is None or not settings.accounts.confirm_email:
        return None
    if not (await state(user)).waiting:
        return None
    return gettext(
        "Confirm your e-mail address first: open the link we sent to %(email)s "
        "(Settings › E-mail address sends it again).",
        email=user.email,
    )


async def resend(resources: Any, user: User) -> str:
    """Mail the sign-up link again; the token.

    Raises:
        AccountError: The address is confirmed already, or was never asked for.
    """
    if not (await state(user)).waiting:
        raise AccountError(gettext("Your e-mail address needs no confirming."))
    return await _mail_link(resources, user, user.email, SIGNUP)


async def ask_change(resources: Any, user: User, new_email: str, password: str) -> str:
    """Mail a link to ``new_email``, which becomes the address once it is opened; the token.

    Raises:
        AccountError: Wrong password, an invalid address, the same one, or one in use.
    """
    if not await verify_password(user.password_hash, password):
        raise AccountError(gettext("That password is not right."), "password")
    address = check_email(new_email)
    if address == user.email:
        raise AccountError(gettext("That is your address already."), "email")
    if await User.exists().where(User.email == address):
        raise AccountError(gettext("That e-mail address is already in use."), "email")
    return await _mail_link(resources, user, address, CHANGE)


async def confirm(resources: Any, token: str) -> User:
    """Open a link: the address is confirmed (and, for a change, made the account's).

    Raises:
        AccountError: The link is unknown, used, expired, or its new address was
            taken by another account meanwhile.
    """
    row = None
    if token and len(token) <= 100:
        row = (
            await EmailCheck.objects()
            .where(
                (EmailCheck.token_hash == hash_token(token))
                & EmailCheck.confirmed_at.is_null()
                & (EmailCheck.expires_at > now())
            )
            .first()
        )
    user = await User.objects().where(User.id == row.user).first() if row is not None else None
    if row is None or user is None or not user.is_active:
        raise AccountError(gettext("This link is not valid any more; ask for a new one."))
    if row.purpose == CHANGE:
        old = user.email
        if await User.exists().where((User.email == row.email) & (User.id != user.id)):
            raise AccountError(gettext("That e-mail address is already in use."))
        await User.update({User.email: row.email, User.updated_at: now()}).where(User.id == user.id)
        user.email = row.email
        await _tell_old_address(resources, user, old)
    await EmailCheck.update({EmailCheck.confirmed_at: now()}).where(EmailCheck.id == row.id)
    return user


async def _tell_old_address(resources: Any, user: User, old: str) -> None:
    site = resources.settings.site_name
    await resources.jobs.enqueue(
        SEND_MAIL,
        job_id=f"mail:email-moved:{user.id}:{secrets.token_hex(4)}",
        to=old,
        subject=gettext("Your %(site)s account has a new e-mail address", site=site),
        body=gettext(
            "Hello %(name)s,\n\nthe address of your %(site)s account is now %(email)s.\n"
            "If you did not change it, reset your password and tell the site's team.\n",
            name=user.display_name or user.username,
            site=site,
            email=user.email,
        ),
    )
