"""Feed pages. The page and the fragment render the same card partial."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from nichevid.feed import foryou
from nichevid.i18n import gettext
from nichevid.media.listing import public_card
from nichevid.plugins import notify

PAGE_SIZE = 5


def _viewer(request: Request[Any, Any, Any]) -> Any:
    # Set by the accounts middleware when it runs; anonymous otherwise.
    return request.scope.get("user")


class FeedController(Controller):
    """Home feed, its next batches, and one video's shareable page."""

    include_in_schema = False

    @get("/", opt={"anonymous_cache": True})
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        """The page shell with the first cards."""
        cards, cursor = await foryou.page(request.app.state.resources, None, PAGE_SIZE)
        await notify(request.app.state.pm, "prepare_cards", request=request, cards=cards)
        return Template(
            "feed/home.html",
            context={"cards": cards, "cursor": cursor, "user": _viewer(request)},
        )

    @get("/feed/next")
    async def next_batch(self, request: Request[Any, Any, Any], cursor: FromQuery[str]) -> Template:
        """The next cards (htmx fragment), ending with the loader of the batch after."""
        try:
            cards, next_cursor = await foryou.page(request.app.state.resources, cursor, PAGE_SIZE)
        except foryou.BadCursor as error:
            raise ClientException(str(error)) from None
        await notify(request.app.state.pm, "prepare_cards", request=request, cards=cards)
        return Template(
            "feed/_batch.html",
            context={"cards": cards, "cursor": next_cursor, "end": next_cursor is None},
        )

    @get("/v/{slug:str}")
    async def video(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """One video on its own page, with link-preview tags."""
        card = await public_card(request.app.state.resources, slug)
        if card is None:
            raise NotFoundException(gettext("This video does not exist or is not public."))
        await notify(request.app.state.pm, "prepare_cards", request=request, cards=[card])
        return Template(
            "feed/video.html",
            context={"card": card, "user": _viewer(request), "base_url": _base(request)},
        )


def _base(request: Request[Any, Any, Any]) -> str:
    settings = request.app.state.settings
    if settings.server.base_url:
        return str(settings.server.base_url).rstrip("/")
    return str(request.base_url).rstrip("/")
