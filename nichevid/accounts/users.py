"""Users: sign-up, authentication, passwords, profiles and roles (no HTTP here)."""

from __future__ import annotations

from typing import Any

import pluggy

from nichevid.accounts.passwords import hash_password, needs_rehash, verify_password
from nichevid.accounts.rules import (
    BIO_MAX,
    DISPLAY_NAME_MAX,
    AccountError,
    check_email,
    check_password,
    check_username,
    clean_text,
    normalize_email,
    normalize_username,
    now,
)
from nichevid.accounts.tables import ROLES, User
from nichevid.i18n import gettext
from nichevid.plugins import gate, notify
from nichevid.settings import Settings

# No stored password is longer (the sign-up limit is lower); longer input is not even hashed.
LOGIN_PASSWORD_MAX = 4096
_dummy_hash: str = ""


async def _taken(username: str, email: str) -> None:
    if await User.exists().where(User.username == username).run():
        raise AccountError(gettext("That username is taken."), "username")
    if await User.exists().where(User.email == email).run():
        raise AccountError(gettext("An account with that e-mail address already exists."), "email")


async def create_user(
    settings: Settings,
    pm: pluggy.PluginManager,
    *,
    username: str,
    email: str,
    password: str,
    role: str = "member",
    display_name: str = "",
    allow_reserved: bool = False,
) -> User:
    """Create an account after checking the rules and asking the ``signup_accept`` gate.

    Args:
        settings: Instance settings (password length limits).
        pm: Plugin manager (``signup_accept`` gate, ``user_created`` event).
        username: 3-32 characters ``[a-z0-9_]``; compared case-insensitively.
        email: A valid, unused e-mail address (case-insensitive).
        password: The new password; checked for length and weakness.
        role: One of :data:`nichevid.accounts.tables.ROLES`.
        display_name: Shown instead of the username where set.
        allow_reserved: Accept reserved usernames (operators on the command line).

    Raises:
        AccountError: With a user-facing message and the field it is about.
    """
    name = check_username(username, allow_reserved=allow_reserved)
    address = check_email(email)
    if role not in ROLES:
        raise AccountError(_unknown_role(role), "role")
    check_password(settings, password, avoid=(name, address.split("@")[0]))
    await _taken(name, address)
    refusal = await gate(pm.hook.signup_accept, username=name, email=address)
    if refusal:
        raise AccountError(refusal)
    user = User(
        username=name,
        email=address,
        password_hash=await hash_password(password),
        role=role,
        display_name=clean_text(display_name, DISPLAY_NAME_MAX),
    )
    try:
        await user.save().run()
    except Exception:
        # Lost a race with a concurrent sign-up: report which name went, else re-raise.
        await _taken(name, address)
        raise
    await notify(pm, "user_created", user=user)
    return user


async def authenticate(
    pm: pluggy.PluginManager, username: str, password: str, *, announce: bool = True
) -> User | None:
    """Return the active user whose username (or e-mail) and password match, else ``None``.

    A hash made with older argon2 parameters is replaced by a fresh one on success.
    Fires ``user_logged_in`` unless ``announce`` is false (the caller fires it once the
    login is complete, after a second factor).
    """
    login = username.strip().lower()
    if len(password) > LOGIN_PASSWORD_MAX:
        return None
    column = User.email if "@" in login else User.username
    user = await User.objects().where(column == login).first().run()
    if user is None:
        # Same work as a wrong password, so response times do not reveal which usernames exist.
        global _dummy_hash
        _dummy_hash = _dummy_hash or await hash_password("not-a-password")
        await verify_password(_dummy_hash, password)
        return None
    if not await verify_password(user.password_hash, password) or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        await set_password(user, password)
    if announce:
        await notify(pm, "user_logged_in", user=user)
    return user


async def set_password(user: User, password: str) -> None:
    """Store a fresh hash of ``password`` for ``user`` (no rule checks; callers check)."""
    user.password_hash = await hash_password(password)
    user.updated_at = now()
    await (
        User.update({User.password_hash: user.password_hash, User.updated_at: user.updated_at})
        .where(User.id == user.id)
        .run()
    )


async def change_password(settings: Settings, user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one and the rules for the new one.

    Raises:
        AccountError: The current password is wrong or the new one breaks a rule.
    """
    if not await verify_password(user.password_hash, current):
        raise AccountError(gettext("Your current password is not right."), "current_password")
    check_password(settings, new, avoid=(user.username, user.email.split("@")[0]))
    await set_password(user, new)


# Every signed-in request reads its user: one fixed statement spares building the query.
_COLUMNS = ", ".join(f'"{column._meta.db_column_name}"' for column in User._meta.columns)
_BY_ID = f"SELECT {_COLUMNS} FROM {User._meta.tablename} WHERE id = {{}} LIMIT 1"  # noqa: S608


async def get_user_by_id(user_id: int) -> User | None:
    """The user with ``user_id``, or ``None``."""
    rows = await User.raw(_BY_ID, user_id).run()
    return User(**rows[0], _exists_in_db=True) if rows else None


async def get_user_by_username(username: str) -> User | None:
    """The user named ``username`` (any case), or ``None``."""
    user: User | None = (
        await User.objects().where(User.username == normalize_username(username)).first().run()
    )
    return user


async def get_user_by_email(email: str) -> User | None:
    """The user with e-mail ``email`` (any case), or ``None``."""
    user: User | None = (
        await User.objects().where(User.email == normalize_email(email)).first().run()
    )
    return user


async def list_users(limit: int = 100, offset: int = 0) -> list[User]:
    """Users in sign-up order."""
    rows: list[User] = await User.objects().order_by(User.id).limit(limit).offset(offset).run()
    return rows


def _unknown_role(role: str) -> str:
    return gettext(
        "Unknown role '%(role)s'; use one of %(choices)s.", role=role, choices=", ".join(ROLES)
    )


async def set_role(user: User, role: str) -> None:
    """Give ``user`` one of :data:`ROLES`.

    Raises:
        AccountError: ``role`` is not a known role.
    """
    if role not in ROLES:
        raise AccountError(_unknown_role(role), "role")
    user.role = role
    await User.update({User.role: role, User.updated_at: now()}).where(User.id == user.id).run()


async def set_active(user: User, active: bool) -> None:
    """Enable or disable an account; a disabled one cannot sign in, and its sessions and
    tokens stop working at once (a ban)."""
    user.is_active = active
    await (
        User.update({User.is_active: active, User.updated_at: now()})
        .where(User.id == user.id)
        .run()
    )


async def update_profile(user: User, *, display_name: str, bio: str) -> None:
    """Set the display name and bio (control characters dropped, lengths capped)."""
    user.display_name = clean_text(display_name, DISPLAY_NAME_MAX)
    user.bio = clean_text(bio, BIO_MAX, multiline=True)
    await (
        User.update(
            {User.display_name: user.display_name, User.bio: user.bio, User.updated_at: now()}
        )
        .where(User.id == user.id)
        .run()
    )


def public_profile(user: User) -> dict[str, Any]:
    """What anyone may see about ``user`` (no e-mail, no hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "bio": user.bio,
        "role": user.role,
    }
