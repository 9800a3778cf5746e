"""``/settings/invitations``: members who may invite make sign-up links and revoke them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN, HTTP_404_NOT_FOUND

from nichevid.accounts import invitations
from nichevid.accounts.guards import requires_login
from nichevid.accounts.web import page, resources_of, see_other, text_field
from nichevid.share.meta import site_base

TEMPLATE = "accounts/invitations.html"


def _number(form: Any, name: str) -> int:
    """The whole number in field ``name``; -1 (refused by the checks) when it is not one."""
    text = text_field(form, name)
    return int(text) if text.isdigit() and len(text) <= 6 else -1


class InvitationPages(Controller):
    """The member's invitations: make, list (with who joined) and revoke."""

    path = "/settings/invitations"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The form and the member's invitations (an admin's ``?all=1``: everyone's)."""
        return await _page(request)

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Template:
        """Make an invitation and show its link."""
        form = await request.form()
        values = {name: text_field(form, name) for name in ("uses", "days", "note")}
        try:
            made = await invitations.create(
                request.scope["user"],
                resources_of(request).settings,
                uses=_number(form, "uses"),
                days=_number(form, "days"),
                note=values["note"],
            )
        except invitations.InvitationError as exc:
            user = request.scope["user"]
            allowed = invitations.may_invite(user, resources_of(request).settings)
            status = HTTP_400_BAD_REQUEST if allowed else HTTP_403_FORBIDDEN
            return await _page(request, status, error=exc.message, field=exc.field, form=values)
        return await _page(request, made=invitations.link(site_base(request), made.code))

    @post("/{invitation_id:int}/revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], invitation_id: FromPath[int]
    ) -> Template | Redirect:
        """Revoke one invitation: its link lets nobody in any more."""
        try:
            await invitations.revoke(request.scope["user"], invitation_id)
        except invitations.InvitationError as exc:
            return await _page(request, HTTP_404_NOT_FOUND, error=exc.message)
        return see_other("/settings/invitations")


async def _page(request: Request[Any, Any, Any], status: int = 200, **context: Any) -> Template:
    user = request.scope["user"]
    settings = resources_of(request).settings
    everyone = user.role == "admin" and request.query_params.get("all") == "1"
    context.setdefault("form", {"uses": "1", "days": "7", "note": ""})
    return page(
        request,
        TEMPLATE,
        status=status,
        allowed=invitations.may_invite(user, settings),
        everyone=everyone,
        invitations=await invitations.listed(user, everyone=everyone),
        base=site_base(request),
        days=invitations.DAYS,
        max_uses=invitations.MAX_USES,
        **context,
    )
