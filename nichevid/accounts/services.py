"""The accounts services other packages call: plain async functions, no HTTP.

Other packages import from here, never from :mod:`nichevid.accounts.tables`.
"""

from __future__ import annotations

from nichevid.accounts.avatars import avatar_url, process_avatar, remove_avatar, set_avatar
from nichevid.accounts.resets import (
    confirm_password_reset,
    request_password_reset,
    reset_token_is_valid,
)
from nichevid.accounts.rules import AccountError
from nichevid.accounts.tables import ROLES, User
from nichevid.accounts.tokens import (
    TokenInfo,
    create_token,
    list_tokens,
    revoke_token,
    user_for_token,
)
from nichevid.accounts.users import (
    authenticate,
    change_password,
    create_user,
    get_user_by_email,
    get_user_by_id,
    get_user_by_username,
    list_users,
    public_profile,
    set_active,
    set_password,
    set_role,
    update_profile,
)

ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


def has_role(user: User | None, *roles: str) -> bool:
    """Whether ``user`` holds at least the lowest of ``roles``.

    Roles rank member < creator < moderator < admin; an admin passes every check.
    """
    if user is None or not user.is_active:
        return False
    if user.role == "admin":
        return True
    needed = min((ROLE_RANK[r] for r in roles), default=0)
    return ROLE_RANK.get(user.role, -1) >= needed


__all__ = [
    "ROLES",
    "AccountError",
    "TokenInfo",
    "User",
    "authenticate",
    "avatar_url",
    "change_password",
    "confirm_password_reset",
    "create_token",
    "create_user",
    "get_user_by_email",
    "get_user_by_id",
    "get_user_by_username",
    "has_role",
    "list_tokens",
    "list_users",
    "process_avatar",
    "public_profile",
    "remove_avatar",
    "request_password_reset",
    "reset_token_is_valid",
    "revoke_token",
    "set_active",
    "set_avatar",
    "set_password",
    "set_role",
    "update_profile",
    "user_for_token",
]
