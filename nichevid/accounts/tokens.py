"""Personal API tokens: shown once at creation, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from nichevid.accounts.rules import AccountError, aware, clean_text, now
from nichevid.accounts.tables import ApiToken, User
from nichevid.i18n import gettext

TOKEN_PREFIX = "nv_"  # noqa: S105 - a marker, not a secret
SHOWN_PREFIX_LENGTH = 10
MAX_TOKENS_PER_USER = 50
# ``last_used_at`` is written at most this often, so scripts do not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed to its owner; the secret itself is never kept."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (tokens are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(user: User, name: str) -> tuple[str, TokenInfo]:
    """Create a token for ``user``; return the plain token (shown once) and its listing.

    Raises:
        AccountError: The name is empty or the user has too many tokens.
    """
    label = clean_text(name, 64)
    if not label:
        raise AccountError(
            gettext("Give the token a name, e.g. the script that will use it."), "name"
        )
    active = await ApiToken.count().where(
        (ApiToken.user == user.id) & ApiToken.revoked_at.is_null()
    )
    if active >= MAX_TOKENS_PER_USER:
        raise AccountError(
            gettext("You already have %(num)s tokens; revoke one first.", num=active), "name"
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user.id,
        name=label,
        token_hash=hash_token(plain),
        prefix=plain[:SHOWN_PREFIX_LENGTH],
    )
    await row.save().run()
    return plain, _info(row)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.prefix, row.created_at, row.last_used_at)


async def list_tokens(user: User) -> list[TokenInfo]:
    """The user's tokens that are not revoked, newest first."""
    rows = (
        await ApiToken.objects()
        .where((ApiToken.user == user.id) & ApiToken.revoked_at.is_null())
        .order_by(ApiToken.id, ascending=False)
        .run()
    )
    return [_info(row) for row in rows]


async def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; return whether it existed and was active."""
    rows = (
        await ApiToken.update({ApiToken.revoked_at: now()})
        .where(
            (ApiToken.id == token_id) & (ApiToken.user == user.id) & ApiToken.revoked_at.is_null()
        )
        .returning(ApiToken.id)
        .run()
    )
    return bool(rows)


async def user_for_token(token: str) -> User | None:
    """The active owner of an unrevoked token, or ``None``; records when it was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = (
        await ApiToken.objects()
        .where((ApiToken.token_hash == hash_token(token)) & ApiToken.revoked_at.is_null())
        .first()
        .run()
    )
    if row is None:
        return None
    user: User | None = (
        await User.objects().where((User.id == row.user) & (User.is_active == True)).first().run()  # noqa: E712
    )
    if user is None:
        return None
    current = now()
    last = row.last_used_at
    if last is None or aware(last) < current - LAST_USED_RESOLUTION:
        await ApiToken.update({ApiToken.last_used_at: current}).where(ApiToken.id == row.id).run()
    return user
