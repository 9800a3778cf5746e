"""Password reset: a single-use, expiring link mailed to the account's address."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from nichevid.accounts.mail import SEND_MAIL
from nichevid.accounts.rules import AccountError, check_password, now
from nichevid.accounts.tables import PasswordReset, User
from nichevid.accounts.tokens import hash_token
from nichevid.accounts.users import get_user_by_email, set_password
from nichevid.i18n import gettext


def invalid_link() -> str:
    """Why a reset link is refused, in the reader's language."""
    return gettext("This reset link is not valid any more; ask for a new one.")


async def request_password_reset(resources: Any, email: str) -> str | None:
    """Mail a reset link when an active account has ``email``.

    The caller tells the visitor the same thing either way, so the form does not
    reveal which addresses have accounts.

    Args:
        resources: The running :class:`nichevid.runtime.Resources` (settings, jobs).
        email: The address typed into the form.

    Returns:
        The plain token that was mailed, or ``None`` when no account matched.
    """
    settings = resources.settings
    user = await get_user_by_email(email)
    if user is None or not user.is_active:
        return None
    token = secrets.token_urlsafe(32)
    row = PasswordReset(
        user=user.id,
        token_hash=hash_token(token),
        expires_at=now() + timedelta(minutes=settings.accounts.reset_token_minutes),
    )
    await row.save().run()
    link = f"{settings.public_url}/reset/{token}"
    # In the language of the request: the person asking is the one who reads it.
    body = gettext(
        "Hello %(name)s,\n\n"
        "someone asked to reset the password of your %(site)s account.\n"
        "To choose a new password, open this link within %(minutes)s minutes:\n\n"
        "%(link)s\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n",
        name=user.display_name or user.username,
        site=settings.site_name,
        minutes=settings.accounts.reset_token_minutes,
        link=link,
    )
    await resources.jobs.enqueue(
        SEND_MAIL,
        job_id=f"mail:reset:{row.id}",
        to=user.email,
        subject=gettext("Reset your %(site)s password", site=settings.site_name),
        body=body,
    )
    return token


async def _valid_reset(token: str) -> PasswordReset | None:
    if not token or len(token) > 100:
        return None
    row: PasswordReset | None = (
        await PasswordReset.objects()
        .where(
            (PasswordReset.token_hash == hash_token(token))
            & PasswordReset.used_at.is_null()
            & (PasswordReset.expires_at > now())
        )
        .first()
        .run()
    )
    return row


async def reset_token_is_valid(token: str) -> bool:
    """Whether ``token`` is an unused, unexpired reset token."""
    return await _valid_reset(token) is not None


async def confirm_password_reset(settings: Any, token: str, password: str) -> User:
    """Set a new password with a reset token; the token (and any other open one) is used up.

    Raises:
        AccountError: The link is unknown, used or expired, or the password breaks a rule.
    """
    row = await _valid_reset(token)
    user = None if row is None else await User.objects().where(User.id == row.user).first().run()
    if row is None or user is None or not user.is_active:
        raise AccountError(invalid_link(), "token")
    check_password(settings, password, avoid=(user.username, user.email.split("@")[0]))
    # Compare-and-set, so two submissions of one link cannot both succeed.
    claimed = (
        await PasswordReset.update({PasswordReset.used_at: now()})
        .where((PasswordReset.id == row.id) & PasswordReset.used_at.is_null())
        .returning(PasswordReset.id)
        .run()
    )
    if not claimed:
        raise AccountError(invalid_link(), "token")
    await set_password(user, password)
    await (
        PasswordReset.update({PasswordReset.used_at: now()})
        .where((PasswordReset.user == user.id) & PasswordReset.used_at.is_null())
        .run()
    )
    return user
