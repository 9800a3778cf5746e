"""A viewer's own For You batch, put together from cards rendered once for everybody.

Each viewer's batch is a different handful of videos, so a whole batch is never worth
keeping; a card is. A card is rendered once per video, language and audience (guests,
or members of one role) for ``server.page_cache_seconds`` (see
:mod:`nichevid.core.shared`); a batch is then its cards with the viewer's own marks
(liked, bookmarked) and the reason each card was chosen put in, and the loader of the
batch after.

A batch may also hold videos that are not open to everybody (a subscriber's
subscribers-only videos): their cards are rendered for the viewer alone, with media
URLs signed for them, and never kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from markupsafe import escape

from nichevid import i18n
from nichevid.core.shared import SharedRenders, audience, personal_choices
from nichevid.media.listing import Card, cards_by_ids, viewable_card
from nichevid.media.tables import Video
from nichevid.plugins import notify

_RENDERS = "feed.card_renders"
# Cards kept per process: the candidates a busy hour hands out, at a few KB each.
MOST_CARDS = 4096
# Stands for the reason in a card rendered for everybody; the first one is replaced.
REASON = "nv-reason-of-this-card"
# Renders of cards for one viewer only: the same personal marks, nothing kept.
_OWN = SharedRenders(0)


def card_renders(request: Any) -> SharedRenders:
    """The process's cards rendered for everybody."""
    extra = request.app.state.resources.extra
    renders: SharedRenders | None = extra.get(_RENDERS)
    if renders is None:
        ttl = request.app.state.settings.server.page_cache_seconds
        renders = extra[_RENDERS] = SharedRenders(ttl, MOST_CARDS)
    return renders


async def batch_html(
    request: Any, video_ids: list[int], cursor: str | None, reasons: dict[int, str]
) -> str:
    """The HTML of a personal batch: its cards, in order, then the next batch's loader."""
    engine = request.app.template_engine.engine
    card = engine.get_template("feed/_card.html")
    place = (i18n.current(), audience(request))
    resources = request.app.state.resources
    viewer = request.scope.get("user")

    def preparing(
        find: Callable[[list[int]], Awaitable[list[Card]]],
    ) -> Callable[[list[int]], Awaitable[dict[int, Callable[[], str]]]]:
        """How the missing cards are read with ``find`` and rendered."""

        async def prepare(missing: list[int]) -> dict[int, Callable[[], str]]:
            cards = await find(missing)
            await notify(request.app.state.pm, "prepare_cards", request=request, cards=cards)
            context = {"request": request, "csrf_input": "", "feed": "foryou"}
            return {
                c.id: partial(card.render, card=c, reasons={c.id: REASON}, **context) for c in cards
            }

        return prepare

    keys = {video: ("card", str(video), *place) for video in video_ids}
    shared = preparing(lambda ids: cards_by_ids(resources, ids))
    found = await card_renders(request).get_each(request, keys, shared)
    if missing := [video for video in video_ids if video not in found]:
        own = {video: ("own", str(video)) for video in missing}
        gated = preparing(lambda ids: gated_cards(resources, ids, viewer))
        found.update(await _OWN.get_each(request, own, gated))
    shown = [video for video in video_ids if video in found]
    choices = await personal_choices(request, shown)
    parts = [
        found[video].for_member(choices).replace(REASON, escape(reasons.get(video, "")), 1)
        for video in shown
    ]
    end = engine.get_template("feed/_batch_end.html")
    return "".join(parts) + end.render(cursor=cursor, request=request)


async def gated_cards(resources: Any, video_ids: list[int], viewer: Any) -> list[Card]:
    """The cards of the videos among ``video_ids`` that are not open but ``viewer`` may
    watch, in order, with media URLs signed for ``viewer``."""
    if viewer is None or not video_ids:
        return []
    rows = {int(row.id): row for row in await Video.objects().where(Video.id.is_in(video_ids))}
    cards = []
    for video in video_ids:
        row = rows.get(video)
        if row is not None and (found := await viewable_card(resources, row, viewer)):
            cards.append(found)
    return cards
