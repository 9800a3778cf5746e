"""Feed pages. The page and the fragment render the same card partial."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from nichevid import i18n
from nichevid.accounts.services import get_user_by_username
from nichevid.accounts.tables import User
from nichevid.core.shared import SharedRenders, audience, personal_choices
from nichevid.feed import foryou, personal
from nichevid.feed.events_api import VIEWER_COOKIE
from nichevid.i18n import gettext
from nichevid.media.gates import is_adult
from nichevid.media.listing import cards_by_ids, public_card, viewable_card
from nichevid.media.services import get_video
from nichevid.plugins import call_first, notify
from nichevid.safety import services as safety
from nichevid.safety.settings import safety_settings
from nichevid.share.meta import site_base

PAGE_SIZE = 5
_SHARED = "feed.shared_renders"


def _viewer(request: Request[Any, Any, Any]) -> Any:
    # Set by the accounts middleware when it runs; anonymous otherwise.
    return request.scope.get("user")


# Videos whose page says "locked" to viewers who may not watch them, instead of 404.
LOCKABLE = ("followers", "subscribers")


class FeedController(Controller):
    """Home feed, its next batches, and one video's shareable page."""

    include_in_schema = False

    @get("/", opt={"anonymous_cache": True, "personal_cookie": VIEWER_COOKIE})
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        """The page shell with the first cards."""
        own = await _personal(request, None)
        if own is None:
            cards, cursor = await _batch(request, None)
            reasons: dict[int, str] = {}
        else:
            cards, cursor, reasons = own
        context = {"cards": cards, "cursor": cursor, "user": _viewer(request), "reasons": reasons}
        headers = {"Cache-Control": "private, no-store"} if own is not None else {}
        return Template("feed/home.html", context=context, headers=headers)

    # A plugin (the recommender) chooses For You for the viewers it knows. The order for
    # everybody else is the same for all: visitors without a session share the whole
    # response (the page cache), members share the render (nichevid.core.shared).
    @get("/feed/next", opt={"anonymous_cache": True, "personal_cookie": VIEWER_COOKIE})
    async def next_batch(
        self, request: Request[Any, Any, Any], cursor: FromQuery[str]
    ) -> Template | Response[str]:
        """The next cards (htmx fragment), ending with the loader of the batch after."""
        answer = await _answer(request, cursor)
        if answer is not None:
            ids, next_cursor, reasons = answer
            return Response(
                await personal.batch_html(request, ids, next_cursor, reasons),
                media_type=MediaType.HTML,
                headers={"Cache-Control": "private, no-store"},
            )
        if _viewer(request) is None:
            cards, next_cursor = await _batch(request, cursor)
            return Template("feed/_batch.html", context=_batch_context(cards, next_cursor))

        async def render() -> tuple[str, list[int]]:
            cards, next_cursor = await _batch(request, cursor, for_viewer=False)
            engine = request.app.template_engine
            assert engine is not None  # the app always has one
            template = engine.get_template("feed/_batch.html")
            context = {**_batch_context(cards, next_cursor), "request": request, "csrf_input": ""}
            return template.render(**context), [card.id for card in cards]

        place = (cursor, i18n.current(), audience(request))
        shared = await _shared_renders(request).get(request, place, render)
        if await _refused(request, shared.video_ids):
            # Some cards are not for this member (a block, a mute): their own render.
            cards, next_cursor = await _batch(request, cursor)
            return Template(
                "feed/_batch.html",
                context=_batch_context(cards, next_cursor),
                headers={"Cache-Control": "private, no-store"},
            )
        choices = await personal_choices(request, shared.video_ids)
        return Response(shared.for_member(choices), media_type=MediaType.HTML)

    @get("/v/{slug:str}")
    async def video(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """One video on its own page, with link-preview tags.

        A video that is not open plays for viewers who may watch it (its media URLs
        signed for them, no link-preview media); others get the locked page of a
        followers or subscribers video, where plugins offer a way in (``video_locked``),
        or of an age-restricted one, which says how to show one is an adult.
        """
        resources = request.app.state.resources
        card = await public_card(resources, slug)
        private = False
        row = None
        if card is None and 0 < len(slug) <= 16:
            row = await get_video(slug=slug)
            if row is not None:
                card = await viewable_card(resources, row, _viewer(request))
                private = card is not None
        if card is not None and await _blocked(request, card):
            card = row = None
        if card is None:
            if row is not None and _lockable(row):
                return await _locked(request, row)
            raise NotFoundException(gettext("This video does not exist or is not public."))
        await notify(request.app.state.pm, "prepare_cards", request=request, cards=[card])
        return Template(
            "feed/video.html",
            context={
                "card": card,
                "user": _viewer(request),
                "base_url": site_base(request),
                "private": private,
            },
            # Signed URLs are for this viewer: never kept by a shared cache.
            headers={"Cache-Control": "private, no-store"} if private else None,
        )


def _lockable(row: Any) -> bool:
    """Whether the page of ``row`` says "locked" (403) rather than "not found" to the refused."""
    if row.status != "ready" or row.visibility == "private":
        return False
    return row.visibility in LOCKABLE or bool(row.age_restricted)


async def _locked(request: Request[Any, Any, Any], row: Any) -> Template:
    """The 403 page of a video the viewer may not watch: why, and what they can do."""
    viewer = _viewer(request)
    resources = request.app.state.resources
    owner = await User.select(User.username).where(User.id == row.owner).first()
    return Template(
        "feed/locked.html",
        context={
            "video": row,
            "user": viewer,
            "creator": owner["username"] if owner else "",
            # The age limit is the reason only for viewers it refuses.
            "age_locked": bool(row.age_restricted) and not await is_adult(resources, viewer),
            "adult_age": safety_settings(resources.settings).adult_age,
        },
        status_code=403,
        headers={"Cache-Control": "private, no-store"},
    )


async def _blocked(request: Request[Any, Any, Any], card: Any) -> bool:
    """Whether a block stands between the viewer and the card's creator."""
    viewer = _viewer(request)
    if viewer is None:
        return False
    return await safety.blocked_between(viewer, await get_user_by_username(card.username))


async def _answer(
    request: Request[Any, Any, Any], cursor: str | None
) -> tuple[list[int], str | None, dict[int, str]] | None:
    """The ids of the viewer's own For You batch when a plugin chooses one (``for_you_page``)."""
    pm = request.app.state.pm
    try:
        answer = await call_first(
            pm.hook.for_you_page, request=request, cursor=cursor, size=PAGE_SIZE
        )
    except ValueError as error:
        raise ClientException(str(error)) from None
    if answer is None:
        return None
    ids, next_cursor, *rest = answer
    return [int(video) for video in ids], next_cursor, dict(rest[0]) if rest else {}


async def _personal(
    request: Request[Any, Any, Any], cursor: str | None
) -> tuple[list[Any], str | None, dict[int, str]] | None:
    """The cards of the viewer's own For You batch, when a plugin chooses one."""
    answer = await _answer(request, cursor)
    if answer is None:
        return None
    ids, next_cursor, reasons = answer
    resources = request.app.state.resources
    cards = await cards_by_ids(resources, ids)
    if len(cards) < len(ids):
        # Videos that are not open to everybody but the viewer may watch (a subscriber's).
        shown = {card.id for card in cards}
        own = await personal.gated_cards(
            resources, [v for v in ids if v not in shown], _viewer(request)
        )
        by_id = {card.id: card for card in cards + own}
        cards = [by_id[video] for video in ids if video in by_id]
    await notify(request.app.state.pm, "prepare_cards", request=request, cards=cards)
    return cards, next_cursor, reasons


async def _refused(request: Request[Any, Any, Any], video_ids: list[int]) -> set[int]:
    """The ids plugins keep out of the signed-in viewer's For You (``for_you_exclude``)."""
    viewer = _viewer(request)
    if viewer is None:
        return set()
    return await foryou.excluded(request.app.state.resources, video_ids, viewer)


async def _batch(
    request: Request[Any, Any, Any], cursor: str | None, *, for_viewer: bool = True
) -> tuple[list[Any], str | None]:
    """A page of the order everybody shares; ``for_viewer``: less what the viewer must not see."""
    try:
        cards, next_cursor = await foryou.page(request.app.state.resources, cursor, PAGE_SIZE)
        if for_viewer:
            refused = await _refused(request, [card.id for card in cards])
            cards = [card for card in cards if card.id not in refused]
    except foryou.BadCursor as error:
        raise ClientException(str(error)) from None
    await notify(request.app.state.pm, "prepare_cards", request=request, cards=cards)
    return cards, next_cursor


def _batch_context(cards: list[Any], cursor: str | None) -> dict[str, Any]:
    return {"cards": cards, "cursor": cursor, "end": cursor is None}


def _shared_renders(request: Request[Any, Any, Any]) -> SharedRenders:
    extra = request.app.state.resources.extra
    renders: SharedRenders | None = extra.get(_SHARED)
    if renders is None:
        ttl = request.app.state.settings.server.page_cache_seconds
        renders = extra[_SHARED] = SharedRenders(ttl)
    return renders
