"""The operator's gift page: the catalogue, nonprofits, reversing gifts, settling refunds."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_role
from nichevid.payments.checkout import display
from nichevid_gifts import catalogue, nonprofits, refunds
from nichevid_gifts.errors import GiftError
from nichevid_gifts.routes import field
from nichevid_gifts.tables import Gift

RECENT = 50


async def admin_page(
    request: Request[Any, Any, Any], error: str = "", status: int = 200, done: str = ""
) -> Template:
    """Everything the operator manages about gifts, on one page."""
    recent = (
        await Gift.select(
            Gift.id,
            Gift.item_name,
            Gift.quantity,
            Gift.total,
            Gift.kind,
            Gift.status,
            Gift.created_at,
            Gift.sender.username.as_alias("sender"),
            Gift.recipient.username.as_alias("recipient"),
        )
        .order_by(Gift.id, ascending=False)
        .limit(RECENT)
    )
    context = {
        "user": request.scope.get("user"),
        "items": await catalogue.items(active_only=False),
        "icons": catalogue.ICONS,
        "animations": catalogue.ANIMATIONS,
        "nonprofits": await nonprofits.listed(),
        "recent": recent,
        "to_settle": await refunds.to_settle(),
        "display": display,
        "label": catalogue.label,
        "error": error,
        "done": done or request.query_params.get("done", ""),
    }
    return Template("gifts/admin.html", context=context, status_code=status)


def _back(done: str) -> Redirect:
    return Redirect(f"/admin/gifts?done={done}", status_code=HTTP_303_SEE_OTHER)


class GiftAdmin(Controller):
    """``/admin/gifts``: for admins only."""

    path = "/admin/gifts"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """The operator's gift page."""
        return await admin_page(request)

    @post("/catalogue")
    async def save_item(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Add a gift or change one (the key names it)."""
        form = await request.form()
        try:
            await catalogue.save(
                key=field(form, "key"),
                name=field(form, "name"),
                coins=field(form, "coins"),
                icon=field(form, "icon"),
                animation=field(form, "animation"),
                position=field(form, "position") or "0",
            )
        except GiftError as exc:
            return await admin_page(request, exc.message, exc.status)
        return _back("saved")

    @post("/catalogue/{key:str}/retire")
    async def retire(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Response[Any]:
        """Take a gift off the picker."""
        try:
            await catalogue.retire(key)
        except GiftError as exc:
            return await admin_page(request, exc.message, exc.status)
        return _back("retired")

    @post("/nonprofits")
    async def mark(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Mark an account as a nonprofit (or change its legal details)."""
        form = await request.form()
        try:
            await nonprofits.mark(
                field(form, "username"), field(form, "legal_name"), field(form, "registration")
            )
        except GiftError as exc:
            return await admin_page(request, exc.message, exc.status)
        return _back("marked")

    @post("/nonprofits/{username:str}/unmark")
    async def unmark(
        self, request: Request[Any, Any, Any], username: FromPath[str]
    ) -> Response[Any]:
        """Gifts to the account are plain gifts again."""
        await nonprofits.unmark(username)
        return _back("unmarked")

    @post("/{gift_id:int}/reverse")
    async def reverse(
        self, request: Request[Any, Any, Any], gift_id: FromPath[int]
    ) -> Response[Any]:
        """Undo one gift: the coins go back to its sender."""
        form = await request.form()
        kind = "chargeback" if field(form, "kind") == "chargeback" else "refund"
        try:
            await refunds.reverse_gift(request.app.state.resources, gift_id, kind)
        except GiftError as exc:
            return await admin_page(request, exc.message, exc.status)
        return _back("reversed")

    @post("/settle/{event_id:int}")
    async def settle(
        self, request: Request[Any, Any, Any], event_id: FromPath[int]
    ) -> Response[Any]:
        """Settle a coin pack refunded after some of its coins were spent."""
        try:
            await refunds.settle(request.app.state.resources, event_id)
        except GiftError as exc:
            return await admin_page(request, exc.message, exc.status)
        return _back("settled")


def all_routes() -> list[Any]:
    """Every controller of the plugin."""
    from nichevid_gifts.routes import GiftPages

    return [GiftPages, GiftAdmin]
