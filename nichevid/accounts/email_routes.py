"""``/settings/email`` (the address, its confirmation, changing it) and the mailed links."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from nichevid.accounts import emails
from nichevid.accounts.guards import requires_login
from nichevid.accounts.rules import AccountError
from nichevid.accounts.web import client_ip, page, resources_of, see_other, text_field, too_many

SETTINGS = "accounts/email.html"
CONFIRM = "accounts/email_confirm.html"
# Links mailed per member per hour (sign-up link again, or a new address).
MAILS_PER_HOUR = 5
HOUR = 3600


class EmailSettings(Controller):
    """The member's address: see it, have the link sent again, change it."""

    path = "/settings/email"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The address and what waits for a link."""
        notice = {"sent": request.query_params.get("sent") == "1"}
        return await _settings(request, **notice)

    @post("/resend")
    async def resend(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Mail the sign-up confirmation link again."""
        if (limited := await _limited(request)) is not None:
            return limited
        try:
            await emails.resend(resources_of(request), request.scope["user"])
        except AccountError as exc:
            return await _settings(request, HTTP_400_BAD_REQUEST, error=exc.message)
        return see_other("/settings/email?sent=1")

    @post("/change")
    async def change(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Mail a link to the new address; it replaces the old one once opened."""
        form = await request.form()
        new_email = text_field(form, "email")
        if (limited := await _limited(request, form={"email": new_email})) is not None:
            return limited
        try:
            await emails.ask_change(
                resources_of(request),
                request.scope["user"],
                new_email,
                text_field(form, "password"),
            )
        except AccountError as exc:
            return await _settings(
                request,
                HTTP_400_BAD_REQUEST,
                error=exc.message,
                field=exc.field,
                form={"email": new_email},
            )
        return see_other("/settings/email?sent=1")


async def _limited(request: Request[Any, Any, Any], **context: Any) -> Template | None:
    resources = resources_of(request)
    verdict = await resources.limiter.hit(
        f"email-link:{request.scope['user'].id}:{client_ip(request)}", MAILS_PER_HOUR, HOUR
    )
    if verdict.allowed:
        return None
    found = await emails.state(request.scope["user"])
    context.setdefault("form", {})
    return too_many(request, SETTINGS, verdict, address=found, hours=emails.LINK_HOURS, **context)


async def _settings(request: Request[Any, Any, Any], status: int = 200, **context: Any) -> Template:
    context.setdefault("form", {})
    found = await emails.state(request.scope["user"])
    return page(request, SETTINGS, status=status, address=found, hours=emails.LINK_HOURS, **context)


class EmailLinks(Controller):
    """The link mailed to an address: a page with one button, so that mail scanners
    opening links do not use it."""

    path = "/email/confirm"
    include_in_schema = False

    @get("/{token:str}")
    async def form(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        """Ask to confirm."""
        return page(request, CONFIRM, token=token, done=False)

    @post("/{token:str}")
    async def confirm(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        """Confirm the address (for a change: make it the account's)."""
        try:
            user = await emails.confirm(resources_of(request), token)
        except AccountError as exc:
            return page(
                request, CONFIRM, status=HTTP_400_BAD_REQUEST, token=token, error=exc.message
            )
        return page(request, CONFIRM, token="", done=True, email=user.email)
