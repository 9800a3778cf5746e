"""What viewers meet: promoted cards, the takeover, counting views and clicks, challenges."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_204_NO_CONTENT,
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
)
from markupsafe import escape

from nichevid.core.ratelimit import too_many
from nichevid.feed.events_api import new_viewer_cookie, same_origin, viewer_cookie
from nichevid.i18n import gettext
from nichevid.plugins import notify
from nichevid.privacy.consent import may_track
from nichevid_ads import challenges, serving
from nichevid_ads.settings import ad_settings

PRIVATE = {"Cache-Control": "private, no-store"}
MOST_TOKENS = 20
SEEN_PER_MINUTE = 60


def _viewer(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """Whom ads are counted for: ``u<id>``, the browser's viewer id, or ``""`` without consent.

    Returns:
        The key and whether the browser's viewer id is new (the answer then sets it).
    """
    user = request.scope.get("user")
    if user is not None:
        return f"u{user.id}", False
    if not may_track(request):
        return "", False
    return viewer_cookie(request)


def _answer(request: Request[Any, Any, Any], new: bool, key: str, body: str) -> Response[str]:
    cookies = [new_viewer_cookie(request, key)] if new else []
    return Response(body, media_type=MediaType.HTML, headers=PRIVATE, cookies=cookies)


async def _ad(request: Request[Any, Any, Any], kind: str, template: str) -> Response[str]:
    resources = request.app.state.resources
    key, new = _viewer(request)
    chosen = await serving.choose(resources, key, kind)
    if chosen is None:
        return Response("", status_code=HTTP_204_NO_CONTENT, headers=PRIVATE)
    card = chosen.card
    await notify(request.app.state.pm, "prepare_cards", request=request, cards=[card])
    engine = request.app.template_engine
    assert engine is not None  # the app always has one
    body = engine.get_template(template).render(
        request=request,
        csrf_input="",
        card=card,
        ad=chosen,
        token=serving.token(resources, chosen.id, key),
        feed="sponsored",
        settings=ad_settings(resources.settings),
    )
    return _answer(request, new, key, body)


class AdPages(Controller):
    """Ads as viewers get them."""

    path = "/ads"
    include_in_schema = False

    @get("/next")
    async def next_ad(self, request: Request[Any, Any, Any]) -> Response[str]:
        """A promoted card for the feed (htmx fragment), or 204 when none is due."""
        return await _ad(request, "in_feed", "ads/_card.html")

    @get("/takeover")
    async def takeover(self, request: Request[Any, Any, Any]) -> Response[str]:
        """The brand takeover of the day for this viewer, or 204."""
        return await _ad(request, "takeover", "ads/_takeover.html")

    @post("/seen", status_code=HTTP_204_NO_CONTENT, opt={"exclude_from_csrf": True})
    async def seen(self, request: Request[Any, Any, Any]) -> None:
        """Count the ads the page kept on screen: ``{"tokens": [...]}`` (JSON or a beacon)."""
        if not same_origin(request):
            raise PermissionDeniedException(
                gettext("Ad views are accepted only from pages of this site.")
            )
        key, _ = _viewer(request)
        resources = request.app.state.resources
        client = request.client.host if request.client else "unknown"
        verdict = await resources.limiter.hit(f"ads:seen:{key or client}", SEEN_PER_MINUTE, 60)
        if not verdict.allowed:
            raise too_many(
                verdict,
                gettext(
                    "Too many ad views at once. Wait %(seconds)s s, then send them again.",
                    seconds=verdict.retry_after,
                ),
            )
        await serving.record_views(resources, _tokens(await request.body()), key)

    @post("/hide/{token:str}", status_code=200)
    async def hide(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        """Hide the ad's campaign from this viewer for good (htmx swaps in the answer)."""
        key, _ = _viewer(request)
        if not await serving.hide(request.app.state.resources, token, key):
            raise NotFoundException(
                gettext("This ad cannot be hidden from here; reload the page and try again.")
            )
        text = escape(gettext("Ad hidden. You will not see it again."))
        return Response(f'<p class="nv-ad-hidden" role="status">{text}</p>', headers=PRIVATE)

    @get("/click/{token:str}")
    async def click(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Redirect:
        """Count the click and send the viewer to the advertiser."""
        key, _ = _viewer(request)
        url = await serving.record_click(request.app.state.resources, token, key)
        if url is None:
            raise NotFoundException(gettext("This ad no longer exists."))
        return Redirect(url, status_code=HTTP_303_SEE_OTHER, headers=PRIVATE)


def _tokens(body: bytes) -> list[str]:
    """The tokens of a ``{"tokens": [...]}`` body; 400 naming what is wrong otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if (
        not isinstance(tokens, list)
        or not all(isinstance(t, str) for t in tokens)
        or len(tokens) > MOST_TOKENS
    ):
        raise HTTPException(
            status_code=HTTP_400_BAD_REQUEST,
            detail=gettext(
                'Send {"tokens": [...]}: a list of at most %(most)s ad tokens as strings.',
                most=MOST_TOKENS,
            ),
        )
    return tokens


class ChallengePages(Controller):
    """Sponsored hashtag challenges, open to everybody."""

    path = "/challenges"
    include_in_schema = False

    @get("/")
    async def listed(self, request: Request[Any, Any, Any]) -> Template:
        """The challenges running now, with how many videos joined each."""
        running = await challenges.running()
        return Template(
            "ads/challenges.html",
            context={
                "user": request.scope.get("user"),
                "challenges": running,
                "entries": await challenges.entries(running),
            },
        )
