"""Route guards: login and roles are checked here, never in templates.

Use them on controllers (``guards = [requires_login]``) or handlers::

    @post("/admin/ban", guards=[requires_role("moderator")])

Roles rank member < creator < moderator < admin; ``requires_role(r)`` lets in
``r`` and every higher role, so an admin passes every check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.auth import TWO_FACTOR_KEY, bearer_token, current_user
from nichevid.accounts.services import ROLES, has_role
from nichevid.i18n import gettext

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


class LoginRedirect(HTTPException):
    """Sends a browser to the login page, coming back to where it was afterwards."""

    status_code = HTTP_303_SEE_OTHER


def is_page_request(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether a browser asks for a page (not the JSON API, not a script with a token)."""
    if connection.scope["path"].startswith("/api/") or bearer_token(connection.scope) is not None:
        return False
    return "text/html" in connection.headers.get("accept", "")


def login_url(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """``/login?next=<this page>`` (only GET pages are worth coming back to)."""
    if connection.scope.get("method", "GET") != "GET":
        return "/login"
    target = connection.scope["path"]
    query = connection.scope.get("query_string", b"").decode("latin-1")
    if query:
        target = f"{target}?{query}"
    return f"/login?next={quote(target, safe='/')}"


def login_required_error(connection: ASGIConnection[Any, Any, Any, Any]) -> HTTPException:
    """The error for a visitor who must log in: a redirect for pages, 401 otherwise."""
    if is_page_request(connection):
        url = login_url(connection)
        if connection.headers.get("hx-request"):
            return NotAuthorizedException(gettext("Please log in."), headers={"HX-Redirect": url})
        return LoginRedirect(gettext("Please log in."), headers={"Location": url})
    return NotAuthorizedException(
        gettext("Log in, or send Authorization: Bearer <token> with a personal API token."),
        headers={"WWW-Authenticate": "Bearer"},
    )


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: the request must come from a signed-in user or a valid API token."""
    if current_user(connection) is None:
        raise login_required_error(connection)


def _needs(roles: tuple[str, ...]) -> str:
    names = {
        "creator": gettext("creator"),
        "moderator": gettext("moderator"),
        "admin": gettext("admin"),
        "member": gettext("member"),
    }
    # Roles are ranked, so the lowest one asked for is enough.
    lowest = min(roles, key=ROLES.index)
    return gettext("This needs the %(role)s role or a higher one.", role=names[lowest])


def needs_second_factor(connection: ASGIConnection[Any, Any, Any, Any], role: str) -> bool:
    """Whether a session of someone with ``role`` lacks the second factor its role needs.

    ``accounts.two_factor_roles`` lists the roles concerned. A session counts once its
    login took a code (or two-factor authentication was turned on in it); personal
    API tokens are credentials of their own and are not asked.
    """
    required = connection.app.state.settings.accounts.two_factor_roles
    if role not in required or connection.scope.get("auth") != "session":
        return False
    session = connection.scope.get("session")
    return not (isinstance(session, dict) and session.get(TWO_FACTOR_KEY))


def requires_role(*roles: str) -> Guard:
    """Guard factory: the user must hold at least the lowest of ``roles``.

    Raises:
        ValueError: At definition time, for an unknown role name.
    """
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"requires_role needs roles from {ROLES}, got {roles!r}")

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        requires_login(connection, handler)
        user = current_user(connection)
        if not has_role(user, *roles):
            raise PermissionDeniedException(_needs(roles))
        if user is not None and needs_second_factor(connection, user.role):
            raise PermissionDeniedException(
                gettext(
                    "Your role needs two-factor authentication: turn it on at "
                    "/settings/two-factor (if it is on already, log out and in again)."
                )
            )

    guard.__name__ = f"requires_role_{'_'.join(roles)}"
    return guard
