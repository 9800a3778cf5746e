"""The redirect ``/go/<id>``, the networks' postback and the creator's page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_login
from nichevid.core.ratelimit import too_many
from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.payments.checkout import display
from nichevid_affiliates import clicks, links, postback, stats
from nichevid_affiliates.errors import AffiliateError
from nichevid_affiliates.settings import affiliate_settings

NO_STORE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def _gone() -> NotFoundException:
    return NotFoundException(
        gettext(
            "This product link does not exist any more: the creator or the site removed it, "
            "or its video is no longer public."
        )
    )


async def _may_follow(request: Request[Any, Any, Any], found: links.Target) -> bool:
    if found.video_status != "ready" or found.video_visibility == "private":
        return False
    video = await media.get_video(video_id=found.video_id)
    if video is None:
        return False
    return await media.may_view(request.app.state.resources, video, request.scope.get("user"))


class Go(Controller):
    """``/go/<id>``: count the click, then send the viewer to the shop."""

    path = "/go"
    include_in_schema = False

    @get("/{link_id:int}", cache=False)
    async def follow(self, request: Request[Any, Any, Any], link_id: FromPath[int]) -> Redirect:
        """303 to the link's address with the operator's parameters and a click token."""
        if not 0 < link_id < 2**31:
            raise _gone()
        found = await links.target(link_id)
        if found is None or not await _may_follow(request, found):
            raise _gone()
        resources = request.app.state.resources
        config = affiliate_settings(resources.settings)
        viewer = clicks.viewer_of(request)
        verdict = await resources.limiter.hit(f"aff:go:{viewer}", config.clicks_per_minute, 60)
        if not verdict.allowed:
            raise too_many(
                verdict,
                gettext(
                    "Too many product links opened at once. Wait %(seconds)s s, then try again.",
                    seconds=verdict.retry_after,
                ),
            )
        user = request.scope.get("user")
        token = await clicks.record(found.id, viewer, int(user.id) if user is not None else None)
        target = clicks.outgoing(config, found.url, found.domain, token)
        return Redirect(target, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


class Postback(Controller):
    """``/affiliates/postback``: a network reports a sale (or its reversal)."""

    path = "/affiliates/postback"
    include_in_schema = False

    @post("/", exclude_from_csrf=True, status_code=200, request_max_body_size=postback.MAX_BODY)
    async def receive(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Verify, check and book; a 4xx JSON error books nothing."""
        body = await request.body()
        try:
            outcome = await postback.receive(
                request.app.state.settings, body, request.headers.get(postback.HEADER)
            )
        except AffiliateError as exc:
            return Response({"error": exc.message}, status_code=exc.status)
        return Response(outcome.as_dict(), status_code=200)


class Mine(Controller):
    """``/affiliates/mine``: a creator's links with their clicks and sales."""

    path = "/affiliates/mine"
    include_in_schema = False
    guards = [requires_login]

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """The signed-in member's links, per video."""
        user = request.scope["user"]
        lines = await stats.creator_links(int(user.id))
        context = {
            "user": user,
            "lines": lines,
            "total": stats.total([line.figures for line in lines]),
            "display": display,
        }
        return Template("affiliates/mine.html", context=context, headers=NO_STORE)


def all_routes() -> list[Any]:
    """Every controller of the plugin."""
    from nichevid_affiliates.admin_routes import AffiliateAdmin

    return [Go, Postback, Mine, AffiliateAdmin]
