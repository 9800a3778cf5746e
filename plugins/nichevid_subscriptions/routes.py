"""Pages: a creator's tiers and subscribers, subscribing, a member's subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_login
from nichevid.accounts.services import get_user_by_username, has_role
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.payments.checkout import display
from nichevid.payments.providers import all_providers
from nichevid.payments.settings import payment_settings
from nichevid_subscriptions import access, services, tiers
from nichevid_subscriptions.errors import SubscriptionError
from nichevid_subscriptions.settings import subscription_settings


def field(form: Any, name: str) -> str:
    """A text field of a submitted form ('' when missing or not text)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def see_other(path: str) -> Redirect:
    """A 303 redirect (a form POST becomes a GET)."""
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _user(request: Request[Any, Any, Any]) -> Any:
    return request.scope.get("user")


def _recurring(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The providers that take subscriptions, by name."""
    found = all_providers(request.app.state.resources)
    return {name: p for name, p in found.items() if p.recurring}


async def _tiers_page(
    request: Request[Any, Any, Any], *, error: str = "", status: int = 200, form: Any = None
) -> Template:
    user = _user(request)
    settings = request.app.state.settings
    own = await tiers.tiers_of(user.id, with_retired=True)
    videos = (
        await Video.objects()
        .where((Video.owner == user.id) & (Video.visibility == "subscribers"))
        .order_by(Video.id, ascending=False)
    )
    context = {
        "user": user,
        "tiers": own,
        "live": [t for t in own if not t.retired],
        "display": display,
        "currencies": payment_settings(settings).currencies,
        "max_tiers": subscription_settings(settings).max_tiers,
        "videos": videos,
        "video_tiers": await access.video_tiers([int(v.id) for v in videos]),
        "subscribers": len(await services.of_creator(user.id)),
        "error": error,
        "form": form or {},
    }
    return Template("subscriptions/tiers.html", context=context, status_code=status)


def _input(form: Any) -> tiers.TierInput:
    return tiers.TierInput(
        name=field(form, "name"),
        price=field(form, "price"),
        currency=field(form, "currency"),
        perks=field(form, "perks"),
        badge=field(form, "badge"),
        level=field(form, "level"),
    )


def _creators_only(request: Request[Any, Any, Any]) -> None:
    if not has_role(_user(request), "creator"):
        message = gettext("Only creators offer subscriptions; ask an admin to make you a creator.")
        raise HTTPException(status_code=403, detail=message)


class CreatorPages(Controller):
    """``/subscriptions/tiers``: a creator's tiers, subscribers-only videos, subscribers."""

    path = "/subscriptions"
    guards = [requires_login]
    include_in_schema = False

    @get("/tiers")
    async def tiers_page(self, request: Request[Any, Any, Any]) -> Template:
        """The creator's tiers, the form for a new one, and the minimum tier of videos."""
        _creators_only(request)
        return await _tiers_page(request)

    @post("/tiers")
    async def create(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Offer a new tier."""
        form = await request.form()
        try:
            await tiers.create_tier(request.app.state.settings, _user(request), _input(form))
        except SubscriptionError as exc:
            return await _tiers_page(request, error=exc.message, status=exc.status, form=form)
        return see_other("/subscriptions/tiers")

    @post("/tiers/{tier_id:int}")
    async def update(
        self, request: Request[Any, Any, Any], tier_id: FromPath[int]
    ) -> Template | Redirect:
        """Change a tier's name, price, perks, badge or level."""
        form = await request.form()
        try:
            await tiers.update_tier(
                request.app.state.settings, _user(request), tier_id, _input(form)
            )
        except SubscriptionError as exc:
            return await _tiers_page(request, error=exc.message, status=exc.status)
        return see_other("/subscriptions/tiers")

    @post("/tiers/{tier_id:int}/retire")
    async def retire(
        self, request: Request[Any, Any, Any], tier_id: FromPath[int]
    ) -> Template | Redirect:
        """Take a tier off sale."""
        try:
            await tiers.retire_tier(_user(request), tier_id)
        except SubscriptionError as exc:
            return await _tiers_page(request, error=exc.message, status=exc.status)
        return see_other("/subscriptions/tiers")

    @post("/videos/{slug:str}")
    async def video_tier(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Template | Redirect:
        """Pick the minimum tier of one of the creator's subscribers-only videos."""
        user = _user(request)
        video = await Video.objects().where(Video.slug == slug[:16]).first()
        if video is None or int(video.owner) != int(user.id):
            raise NotFoundException(gettext("You have no such video."))
        form = await request.form()
        raw = field(form, "tier")
        tier = None
        if raw:
            try:
                tier = await tiers.own_tier(user, int(raw))
            except (ValueError, SubscriptionError):
                tier = None
            if tier is None or tier.retired:
                message = gettext("Choose one of your tiers on offer, or every tier.")
                return await _tiers_page(request, error=message, status=400)
        await access.set_video_tier(video, tier)
        return see_other("/subscriptions/tiers#videos")

    @get("/subscribers")
    async def subscribers(self, request: Request[Any, Any, Any]) -> Template:
        """Who subscribes to the creator now, with their tier."""
        _creators_only(request)
        rows = await services.of_creator(_user(request).id)
        return Template(
            "subscriptions/subscribers.html", context={"user": _user(request), "rows": rows}
        )


class MemberPages(Controller):
    """Subscribing to a creator, and a member's own subscriptions."""

    path = "/subscriptions"
    include_in_schema = False

    @get("/c/{username:str}")
    async def creator(self, request: Request[Any, Any, Any], username: FromPath[str]) -> Template:
        """A creator's tiers on offer, each with a subscribe button per provider."""
        return await self._creator_page(request, username)

    async def _creator_page(
        self, request: Request[Any, Any, Any], username: str, error: str = "", status: int = 200
    ) -> Template:
        creator = await get_user_by_username(username[:64])
        if creator is None or not creator.is_active:
            raise NotFoundException(gettext("There is no such member."))
        context = {
            "user": _user(request),
            "creator": creator,
            "tiers": await tiers.tiers_of(creator.id),
            "providers": _recurring(request),
            "display": display,
            "error": error,
        }
        return Template("subscriptions/creator.html", context=context, status_code=status)

    @post("/subscribe/{tier_id:int}", guards=[requires_login])
    async def subscribe(
        self, request: Request[Any, Any, Any], tier_id: FromPath[int]
    ) -> Template | Redirect:
        """Start the checkout of a tier with the provider chosen."""
        form = await request.form()
        try:
            _, url = await services.subscribe(
                request.app.state.resources, _user(request), tier_id, field(form, "provider")
            )
        except SubscriptionError as exc:
            tier = await tiers.get_tier(tier_id)
            if tier is None:
                raise NotFoundException(exc.message) from exc
            owner = await _username(int(tier.creator))
            return await self._creator_page(request, owner, exc.message, exc.status)
        return see_other(url)

    @get("/mine", guards=[requires_login])
    async def mine(self, request: Request[Any, Any, Any]) -> Template:
        """The member's subscriptions, with a cancel button for running ones."""
        return await _mine(request)

    @post("/{sub_id:int}/tier", guards=[requires_login])
    async def change(
        self, request: Request[Any, Any, Any], sub_id: FromPath[int]
    ) -> Template | Redirect:
        """Move to another tier: a higher one at once, a lower one from the next month."""
        form = await request.form()
        raw = field(form, "tier")
        if not raw.isdigit() or len(raw) > 12:
            return await _mine(
                request, gettext("Choose one of this creator's tiers on offer."), 400
            )
        try:
            await services.change_tier(
                request.app.state.resources, _user(request), sub_id, int(raw)
            )
        except SubscriptionError as exc:
            return await _mine(request, exc.message, exc.status)
        return see_other("/subscriptions/mine")

    @post("/{sub_id:int}/cancel", guards=[requires_login])
    async def cancel(
        self, request: Request[Any, Any, Any], sub_id: FromPath[int]
    ) -> Template | Redirect:
        """Stop renewing; access lasts to the end of the paid period."""
        try:
            await services.cancel(request.app.state.resources, _user(request), sub_id)
        except SubscriptionError as exc:
            return await _mine(request, exc.message, exc.status)
        return see_other("/subscriptions/mine")


async def _mine(request: Request[Any, Any, Any], error: str = "", status: int = 200) -> Template:
    rows = await services.of_member(_user(request).id)
    offers = {
        row.creator_id: await tiers.tiers_of(row.creator_id) for row in rows if row.changeable
    }
    context = {
        "user": _user(request),
        "rows": rows,
        "offers": offers,
        "display": display,
        "error": error,
    }
    return Template("subscriptions/mine.html", context=context, status_code=status)


async def _username(user_id: int) -> str:
    from nichevid.accounts.tables import User

    row = await User.select(User.username).where(User.id == user_id).first()
    return str(row["username"]) if row else ""


def all_routes() -> Iterator[Any]:
    """The plugin's controllers."""
    yield CreatorPages
    yield MemberPages
