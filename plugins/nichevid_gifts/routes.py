"""Members' gift pages: the coins page, buying a coin pack, the picker, sending, receipts."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import login_required_error, requires_login
from nichevid.accounts.services import has_role
from nichevid.i18n import gettext
from nichevid.payments import accounts as acc
from nichevid.payments import checkout
from nichevid.payments.accounts import COINS
from nichevid.payments.ledger import balance
from nichevid.payments.providers import all_providers
from nichevid.payments.settings import payment_settings
from nichevid_gifts import catalogue, fans, receipts, sending
from nichevid_gifts.errors import GiftError
from nichevid_gifts.settings import gift_settings, pack
from nichevid_gifts.tables import Gift

RECENT = 20


def field(form: Any, name: str) -> str:
    """A text field of a submitted form ('' when missing or not text)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def is_fragment(request: Request[Any, Any, Any]) -> bool:
    """Whether htmx asked for the piece of the page only."""
    return request.headers.get("hx-request") == "true"


def _user(request: Request[Any, Any, Any]) -> Any:
    return request.scope.get("user")


async def _recent(column: Any, user_id: int, other: Any) -> list[dict[str, Any]]:
    return list(
        await Gift.select(
            Gift.item_name,
            Gift.quantity,
            Gift.total,
            Gift.kind,
            Gift.status,
            Gift.created_at,
            other.username.as_alias("other"),
        )
        .where(column == user_id)
        .order_by(Gift.id, ascending=False)
        .limit(RECENT)
    )


async def coins_page(
    request: Request[Any, Any, Any], error: str = "", status: int = 200
) -> Template:
    """The member's coins, the packs on offer, gifts sent and received, earnings."""
    user = _user(request)
    resources = request.app.state.resources
    accepted = payment_settings(resources.settings).currencies
    context = {
        "user": user,
        "coins": await balance(acc.wallet(user.id, COINS)),
        "earned": await balance(acc.earnings(user.id, COINS)),
        "packs": [
            p for p in gift_settings(resources.settings).coin_packs if p.currency in accepted
        ],
        "price": checkout.display,
        "providers": all_providers(resources),
        "sent": await _recent(Gift.sender, user.id, Gift.recipient),
        "received": await _recent(Gift.recipient, user.id, Gift.sender),
        "receipts": await receipts.of_donor(user.id),
        "show_top": await fans.shows_top_gifters(user.id),
        "label": catalogue.label,
        "error": error,
    }
    return Template("gifts/coins.html", context=context, status_code=status)


def _picker(
    request: Request[Any, Any, Any], template: str, status: int = 200, **context: Any
) -> Template:
    name = f"gifts/_{template}.html" if is_fragment(request) else f"gifts/{template}.html"
    context = {"user": _user(request), "label": catalogue.label, **context}
    return Template(name, context=context, status_code=status)


class GiftPages(Controller):
    """``/gifts``: coins, the picker, sending and receipts."""

    path = "/gifts"
    include_in_schema = False

    @get("/", guards=[requires_login])
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """The coins page."""
        return await coins_page(request)

    @post("/buy", guards=[requires_login])
    async def buy(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Start a checkout for the chosen coin pack with the chosen provider."""
        form = await request.form()
        resources = request.app.state.resources
        chosen = pack(resources.settings, field(form, "pack"))
        if chosen is None:
            return await coins_page(request, gettext("Choose one of the coin packs offered."), 400)
        try:
            _, url = await checkout.start(
                resources,
                user_id=_user(request).id,
                provider_name=field(form, "provider"),
                amount=chosen.price,
                currency=chosen.currency,
                credit=chosen.coins,
                credit_unit=COINS,
                product=f"coins:{chosen.name}",
            )
        except checkout.CheckoutError as exc:
            return await coins_page(request, exc.message, exc.status)
        return Redirect(url, status_code=HTTP_303_SEE_OTHER)

    @post("/choices", guards=[requires_login])
    async def choices(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Whether the member's profile lists their top gifters."""
        form = await request.form()
        await fans.choose(_user(request).id, field(form, "show_top_gifters") == "on")
        return Redirect("/gifts", status_code=HTTP_303_SEE_OTHER)

    async def _pick(
        self,
        request: Request[Any, Any, Any],
        target: sending.Target,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        return _picker(
            request,
            "picker",
            status,
            target=target,
            items=await catalogue.items(),
            send_id=secrets.token_urlsafe(16),
            most=gift_settings(request.app.state.settings).max_count,
            coins=(
                await balance(acc.wallet(_user(request).id, COINS))
                if _user(request) is not None
                else None
            ),
            **extra,
        )

    @get("/to/v/{slug:str}")
    async def to_video(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """The picker for a video's creator (a sign-in link for visitors)."""
        return await self._pick(request, sending.Target(video_slug=slug))

    @get("/to/u/{username:str}")
    async def to_member(self, request: Request[Any, Any, Any], username: FromPath[str]) -> Template:
        """The picker for a member's profile (a sign-in link for visitors)."""
        return await self._pick(request, sending.Target(username=username))

    @post("/send")
    async def send(self, request: Request[Any, Any, Any]) -> Template:
        """Send: the animation, or the picker again with what to change."""
        user = _user(request)
        if user is None:
            raise login_required_error(request)
        form = await request.form()
        target = sending.Target(video_slug=field(form, "video"), username=field(form, "to"))
        resources = request.app.state.resources
        try:
            count = sending.parse_count(
                field(form, "count"), gift_settings(resources.settings).max_count
            )
            sent = await sending.send(
                resources,
                sender=user,
                send_id=field(form, "send_id"),
                item_key=field(form, "gift"),
                count=count,
                target=target,
            )
        except GiftError as exc:
            return await self._pick(request, target, exc.status, error=exc)
        return _picker(
            request,
            "sent",
            sent=sent,
            target=target,
            coins=await balance(acc.wallet(user.id, COINS)),
        )

    @get("/receipts/{number:str}", guards=[requires_login])
    async def receipt(self, request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
        """A donation receipt, for its donor (and operators)."""
        user = _user(request)
        found = await receipts.get(number)
        if found is None or (found.donor != user.id and not has_role(user, "admin")):
            raise NotFoundException(gettext("There is no such receipt."))
        return Template("gifts/receipt.html", context={"user": user, "receipt": found})
