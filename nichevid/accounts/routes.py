"""Pages for signing up, logging in and out, and resetting a forgotten password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN

from nichevid.accounts import emails, invitations, services, twofactor
from nichevid.accounts.auth import end_session, start_session
from nichevid.accounts.resets import invalid_link
from nichevid.accounts.rules import normalize_email, normalize_username
from nichevid.accounts.twofactor_routes import hold_login
from nichevid.accounts.web import (
    client_ip,
    page,
    resources_of,
    safe_next,
    see_other,
    text_field,
    too_many,
)
from nichevid.i18n import gettext
from nichevid.plugins import notify

MINUTE = 60
HOUR = 3600


def _login_notice(params: Any) -> str:
    if params.get("reset") == "done":
        return gettext("Your password was changed; log in with the new one.")
    if params.get("code") == "expired":
        return gettext("That login waited too long for its code: log in again.")
    return ""


class AuthPages(Controller):
    """Sign-up, login, logout and password reset (HTML forms)."""

    path = "/"
    tags = ["accounts"]
    include_in_schema = False

    @get("/signup")
    async def signup_form(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """The sign-up form."""
        if request.scope.get("user"):
            return see_other("/")
        accounts = resources_of(request).settings.accounts
        code = request.query_params.get("invite", "")[:64]
        refused = await invitations.check(code) if code else None
        return page(
            request,
            "accounts/signup.html",
            form={"invite": "" if refused else code},
            closed=not accounts.allow_signup,
            invite_only=accounts.invite_only,
            invitation_refused=refused,
        )

    @post("/signup")
    async def signup(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Create an account and sign in."""
        resources = resources_of(request)
        form = await request.form()
        fields = ("username", "email", "display_name", "invite")
        values = {k: text_field(form, k) for k in fields}
        template = "accounts/signup.html"
        accounts = resources.settings.accounts
        shown = {"invite_only": accounts.invite_only}
        if not accounts.allow_signup:
            return page(
                request, template, status=HTTP_403_FORBIDDEN, form=values, closed=True, **shown
            )
        verdict = await resources.limiter.hit(
            f"signup:ip:{client_ip(request)}", accounts.signups_per_hour, HOUR
        )
        if not verdict.allowed:
            return too_many(request, template, verdict, form=values, **shown)
        invitation = None
        if values["invite"] or accounts.invite_only:
            try:
                invitation = await invitations.claim(values["invite"])
            except invitations.InvitationError as exc:
                values["invite"] = ""
                if accounts.invite_only:
                    return page(
                        request,
                        template,
                        status=HTTP_403_FORBIDDEN,
                        form=values,
                        invitation_refused=exc.message,
                        **shown,
                    )
                # An open site: the sign-up goes on without it.
        try:
            user = await services.create_user(
                resources.settings,
                resources.pm,
                username=values["username"],
                email=values["email"],
                password=text_field(form, "password"),
                display_name=values["display_name"],
            )
        except services.AccountError as exc:
            if invitation is not None:
                await invitations.give_back(invitation)
            return page(
                request,
                template,
                status=HTTP_400_BAD_REQUEST,
                form=values,
                error=exc.message,
                field=exc.field,
                **shown,
            )
        if invitation is not None:
            await invitations.record(invitation, user)
        await emails.on_signup(resources, user)
        await start_session(request, user)
        return see_other("/")

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any]) -> Template:
        """The login form; ``?next=`` names the local page to return to."""
        return page(
            request,
            "accounts/login.html",
            form={},
            next=safe_next(request.query_params.get("next"), ""),
            notice=_login_notice(request.query_params),
        )

    @post("/login")
    async def login(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Check the password and start a fresh session."""
        resources = resources_of(request)
        form = await request.form()
        username = text_field(form, "username")
        target = safe_next(text_field(form, "next"), "")
        values = {"username": username}
        template = "accounts/login.html"
        limit = resources.settings.accounts.login_attempts_per_minute
        # Per address and per account: neither a botnet nor one address can guess freely.
        for key in (f"login:ip:{client_ip(request)}", f"login:user:{normalize_username(username)}"):
            verdict = await resources.limiter.hit(key, limit, MINUTE)
            if not verdict.allowed:
                return too_many(request, template, verdict, form=values, next=target)
        user = await services.authenticate(
            resources.pm, username, text_field(form, "password"), announce=False
        )
        if user is None:
            return page(
                request,
                template,
                status=HTTP_400_BAD_REQUEST,
                form=values,
                next=target,
                error=gettext("That username and password do not match an account."),
                field="password",
            )
        if await twofactor.is_on(user):
            return hold_login(request, user, target)
        await notify(resources.pm, "user_logged_in", user=user)
        await start_session(request, user)
        return see_other(target or "/")

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session."""
        end_session(request)
        return see_other("/")

    @get("/reset")
    async def reset_form(self, request: Request[Any, Any, Any]) -> Template:
        """Ask for a reset link."""
        return page(request, "accounts/reset_request.html", form={}, sent=False)

    @post("/reset")
    async def reset_request(self, request: Request[Any, Any, Any]) -> Template:
        """Mail a reset link; the answer is the same whether the address has an account."""
        resources = resources_of(request)
        form = await request.form()
        email = text_field(form, "email")
        template = "accounts/reset_request.html"
        verdict = await resources.limiter.hit(
            f"reset:{client_ip(request)}:{normalize_email(email)}",
            resources.settings.accounts.resets_per_hour,
            HOUR,
        )
        if not verdict.allowed:
            return too_many(request, template, verdict, form={"email": email}, sent=False)
        await services.request_password_reset(resources, email)
        return page(request, template, form={"email": email}, sent=True)

    @get("/reset/{token:str}")
    async def reset_confirm_form(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Template:
        """The new-password form of a reset link."""
        valid = await services.reset_token_is_valid(token)
        return page(
            request,
            "accounts/reset_confirm.html",
            status=200 if valid else HTTP_400_BAD_REQUEST,
            token=token,
            error="" if valid else invalid_link(),
            invalid=not valid,
        )

    @post("/reset/{token:str}")
    async def reset_confirm(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Template | Redirect:
        """Set the new password and send the visitor to the login page."""
        resources = resources_of(request)
        form = await request.form()
        try:
            await services.confirm_password_reset(
                resources.settings, token, text_field(form, "password")
            )
        except services.AccountError as exc:
            return page(
                request,
                "accounts/reset_confirm.html",
                status=HTTP_400_BAD_REQUEST,
                token=token,
                error=exc.message,
                field=exc.field,
                invalid=exc.field == "token",
            )
        end_session(request)
        return see_other("/login?reset=done")
