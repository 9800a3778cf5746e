"""The operator's page ``/admin/affiliates``: figures per creator and domain, disabling links."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_role
from nichevid.accounts.tables import User
from nichevid.i18n import gettext
from nichevid.payments.checkout import display
from nichevid_affiliates import links, stats

LINKS_SHOWN = 200


async def _names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await User.select(User.id, User.username).where(User.id.is_in(ids))
    return {int(row["id"]): row["username"] for row in rows}


async def admin_page(
    request: Request[Any, Any, Any], error: str = "", status: int = 200
) -> Template:
    """Clicks and sales per creator and per domain, and the links to disable."""
    creators = await stats.by_creator()
    context = {
        "user": request.scope.get("user"),
        "creators": creators,
        "names": await _names([creator for creator, _ in creators]),
        "domains": await stats.by_domain(),
        "links": await stats.link_lines(limit=LINKS_SHOWN),
        "display": display,
        "error": error,
        "done": request.query_params.get("done", ""),
    }
    return Template("affiliates/admin.html", context=context, status_code=status)


class AffiliateAdmin(Controller):
    """``/admin/affiliates``: for admins only."""

    path = "/admin/affiliates"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """The operator's affiliate page."""
        return await admin_page(request)

    @post("/links/{link_id:int}/disable")
    async def disable(
        self, request: Request[Any, Any, Any], link_id: FromPath[int]
    ) -> Response[Any]:
        """Take a link off the cards; ``/go/`` answers 404 for it."""
        return await self._set(request, link_id, True)

    @post("/links/{link_id:int}/enable")
    async def enable(
        self, request: Request[Any, Any, Any], link_id: FromPath[int]
    ) -> Response[Any]:
        """Show a disabled link again."""
        return await self._set(request, link_id, False)

    async def _set(
        self, request: Request[Any, Any, Any], link_id: int, disabled: bool
    ) -> Response[Any]:
        if not 0 < link_id < 2**31 or not await links.set_disabled(link_id, disabled):
            return await admin_page(request, gettext("There is no such link."), 404)
        done = "disabled" if disabled else "enabled"
        return Redirect(f"/admin/affiliates?done={done}", status_code=HTTP_303_SEE_OTHER)
