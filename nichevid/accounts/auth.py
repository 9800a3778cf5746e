"""Who is asking: the auth middleware and the session helpers.

The middleware puts the :class:`~nichevid.accounts.tables.User` (or ``None``) in
``scope["user"]``, so handlers read ``request.user`` and templates read
``request.scope.user``. A request that carries ``Authorization: Bearer`` is judged
by its token alone, never by a session cookie: such requests skip CSRF checks, so
they must not be able to ride on a browser session.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from nichevid.accounts.tables import User
from nichevid.accounts.tokens import user_for_token
from nichevid.accounts.users import get_user_by_id

SESSION_USER_KEY = "user_id"
# Set in a session whose login took a second factor (see ``accounts.two_factor_roles``).
TWO_FACTOR_KEY = "two_factor"
SESSION_COOKIE = "nv_session"
# Paths that never need to know the visitor; skipping them saves a query per file.
ANONYMOUS_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request has one."""
    for key, value in scope.get("headers", ()):
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return None


async def user_from_scope(scope: Scope) -> tuple[User | None, str]:
    """The user a request speaks for and how it proved it (``token``, ``session`` or ``""``)."""
    token = bearer_token(scope)
    if token is not None:
        user = await user_for_token(token) if token else None
        return user, "token" if user else ""
    session = scope.get("session")
    user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
    if not isinstance(user_id, int):
        return None, ""
    user = await get_user_by_id(user_id)
    if user is None or not user.is_active:
        return None, ""
    return user, "session"


class AuthMiddleware:
    """Sets ``scope["user"]`` (a ``User`` or ``None``) and ``scope["auth"]`` on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            user: User | None = None
            method = ""
            if not scope["path"].startswith(ANONYMOUS_PREFIXES):
                user, method = await user_from_scope(scope)
            scope["user"] = user
            scope["auth"] = method or None
        await self.app(scope, receive, send)


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    """The signed-in user of a request, or ``None``."""
    user: User | None = connection.scope.get("user")
    return user


async def start_session(
    connection: ASGIConnection[Any, Any, Any, Any], user: User, *, two_factor: bool = False
) -> None:
    """Sign ``user`` in with a brand-new session (``two_factor``: the login took a code).

    The old session's data is deleted and the response carries a new session id,
    so an id planted before login (session fixation) is worthless afterwards.
    """
    store = connection.app.stores.get("sessions")
    old_id = connection.cookies.get(SESSION_COOKIE)
    if old_id:
        await store.delete(old_id)
    # The session middleware picks the id from the parsed cookies, which Litestar
    # keeps in one dict per request; without the old cookie it uses the new id.
    connection.cookies.pop(SESSION_COOKIE, None)
    ScopeState.from_scope(connection.scope).session_id = secrets.token_hex(32)
    data: dict[str, Any] = {SESSION_USER_KEY: user.id}
    if two_factor:
        data[TWO_FACTOR_KEY] = True
    connection.set_session(data)
    connection.scope["user"] = user
    connection.scope["auth"] = "session"


def end_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Sign out: the session's data is deleted and its cookie cleared."""
    connection.clear_session()
    connection.scope["user"] = None
    connection.scope["auth"] = None
