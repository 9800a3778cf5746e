"""Pages of two-factor authentication: the code step of logging in, and the settings page.

Logging in with two-factor authentication on: the password form holds the login in
the (not yet signed-in) session for :data:`HOLD_SECONDS` and sends the browser to
``/login/code``; a right code there starts a brand-new signed-in session.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from nichevid.accounts import twofactor
from nichevid.accounts.auth import TWO_FACTOR_KEY, start_session
from nichevid.accounts.guards import requires_login
from nichevid.accounts.users import get_user_by_id
from nichevid.accounts.web import client_ip, page, resources_of, see_other, text_field, too_many
from nichevid.i18n import gettext
from nichevid.plugins import notify

PENDING_KEY = "two_factor_pending"
# How long a right password waits for its code.
HOLD_SECONDS = 300
MINUTE = 60
SETTINGS = "accounts/two_factor.html"
CODE_PAGE = "accounts/login_code.html"


def hold_login(request: Request[Any, Any, Any], user: Any, target: str) -> Redirect:
    """Keep a login whose password was right until its code comes; go to the code page."""
    request.set_session(
        {PENDING_KEY: {"user": user.id, "until": time.time() + HOLD_SECONDS, "next": target}}
    )
    return see_other("/login/code")


def _pending(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    session = request.scope.get("session")
    held = session.get(PENDING_KEY) if isinstance(session, dict) else None
    if not isinstance(held, dict) or not isinstance(held.get("user"), int):
        return None
    if float(held.get("until", 0)) < time.time():
        return None
    return held


def _expired() -> Redirect:
    return see_other("/login?code=expired")


class TwoFactorLogin(Controller):
    """``/login/code``: the second step of logging in."""

    path = "/login/code"
    tags = ["accounts"]
    include_in_schema = False

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """The code form, while a login waits for its code."""
        if _pending(request) is None:
            return _expired()
        return page(request, CODE_PAGE)

    @post("/")
    async def check(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Check the code; sign in on a right one."""
        resources = resources_of(request)
        held = _pending(request)
        if held is None:
            return _expired()
        limit = resources.settings.accounts.login_attempts_per_minute
        for key in (f"2fa:ip:{client_ip(request)}", f"2fa:user:{held['user']}"):
            verdict = await resources.limiter.hit(key, limit, MINUTE)
            if not verdict.allowed:
                return too_many(request, CODE_PAGE, verdict)
        user = await get_user_by_id(held["user"])
        if user is None or not user.is_active:
            request.clear_session()
            return _expired()
        form = await request.form()
        try:
            await twofactor.verify(resources.settings, user, text_field(form, "code"))
        except twofactor.TwoFactorError as exc:
            return page(request, CODE_PAGE, status=HTTP_400_BAD_REQUEST, error=str(exc))
        await notify(resources.pm, "user_logged_in", user=user)
        await start_session(request, user, two_factor=True)
        return see_other(str(held.get("next") or "/"))


async def _settings_page(
    request: Request[Any, Any, Any], status: int = 200, **context: Any
) -> Template:
    resources = resources_of(request)
    user = request.scope["user"]
    found = await twofactor.state(user)
    if found.pending and "qr" not in context:
        secret = await twofactor.pending_secret(resources.settings, user)
        if secret is not None:
            context.update(_setup(resources.settings, user, secret))
    return page(request, SETTINGS, status=status, state=found, **context)


def _setup(settings: Any, user: Any, secret: str) -> dict[str, Any]:
    uri = twofactor.provisioning_uri(settings, user, secret)
    label = gettext("QR code to scan with your authenticator app")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": twofactor.qr_code(uri, label), "secret": grouped}


class TwoFactorSettings(Controller):
    """``/settings/two-factor``: turn two-factor authentication on or off."""

    path = "/settings/two-factor"
    tags = ["accounts"]
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """Whether it is on, with the forms that change it."""
        return await _settings_page(request, turned_off=request.query_params.get("off") == "1")

    @post("/start")
    async def start(self, request: Request[Any, Any, Any]) -> Template:
        """A new secret, shown as a QR code, waiting for its first code."""
        settings = resources_of(request).settings
        user = request.scope["user"]
        try:
            secret = await twofactor.begin(settings, user)
        except twofactor.TwoFactorError as exc:
            return await _settings_page(request, HTTP_400_BAD_REQUEST, error=str(exc))
        return await _settings_page(request, **_setup(settings, user, secret))

    @post("/confirm")
    async def confirm(self, request: Request[Any, Any, Any]) -> Template:
        """Turn it on with a first code; show the recovery codes once."""
        settings = resources_of(request).settings
        form = await request.form()
        try:
            codes = await twofactor.confirm(
                settings, request.scope["user"], text_field(form, "code")
            )
        except twofactor.TwoFactorError as exc:
            return await _settings_page(request, HTTP_400_BAD_REQUEST, error=str(exc))
        # This session has just shown the second factor.
        request.set_session({**request.session, TWO_FACTOR_KEY: True})
        return await _settings_page(request, codes=codes, turned_on=True)

    @post("/recovery-codes")
    async def recovery_codes(self, request: Request[Any, Any, Any]) -> Template:
        """Ten new recovery codes (the old ones stop working), after a code."""
        settings = resources_of(request).settings
        user = request.scope["user"]
        form = await request.form()
        try:
            await twofactor.verify(settings, user, text_field(form, "code"))
        except twofactor.TwoFactorError as exc:
            return await _settings_page(request, HTTP_400_BAD_REQUEST, error=str(exc))
        return await _settings_page(request, codes=await twofactor.new_recovery_codes(user))

    @post("/off")
    async def off(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Turn it off, after the password and a code."""
        from nichevid.accounts.passwords import verify_password

        settings = resources_of(request).settings
        user = request.scope["user"]
        form = await request.form()
        if not await verify_password(user.password_hash, text_field(form, "password")):
            error = gettext("Your current password is not right.")
            return await _settings_page(request, HTTP_400_BAD_REQUEST, error=error)
        try:
            await twofactor.verify(settings, user, text_field(form, "code"))
        except twofactor.TwoFactorError as exc:
            return await _settings_page(request, HTTP_400_BAD_REQUEST, error=str(exc))
        await twofactor.turn_off(user)
        request.set_session({k: v for k, v in request.session.items() if k != TWO_FACTOR_KEY})
        return see_other("/settings/two-factor?off=1")
