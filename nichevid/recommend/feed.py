"""The recommender's answers to the feed: For You batches and the signals that steer them."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

from litestar import Litestar

from nichevid.core.tasks import in_background
from nichevid.feed import foryou
from nichevid.feed.events_api import VIEWER_COOKIE
from nichevid.feed.foryou import bad_position
from nichevid.recommend import serve, session, subscribed
from nichevid.recommend.ab import arm_settings
from nichevid.recommend.catalogue import catalogue
from nichevid.recommend.model import ExportedModel, ModelHolder
from nichevid.recommend.ratings import rating
from nichevid.recommend.settings import recommend_settings
from nichevid.recommend.slots import NEW_VIEWER_KEY
from nichevid.recommend.stores import viewer_stores
from nichevid.recommend.sync import fetch
from nichevid.recommend.training import model_dir
from nichevid.social.tables import Follow

log = logging.getLogger(__name__)
_HOLDER = "recommend.model"
_COOKIE = re.compile(r"^[0-9a-f]{32}$")
# Cursors of the other orders a page may still carry (the shared order, older pages).
_CURSOR = re.compile(r"^(r\d{1,9}|[mt]\d{1,9}\.\d{1,12}|\d{1,12})$")
FOLLOWS_SECONDS = 300.0
# Picks refused by a plugin are replaced this many times at most.
EXCLUDE_ROUNDS = 3


def holder(resources: Any) -> ModelHolder:
    """The process's model holder."""
    found: ModelHolder | None = resources.extra.get(_HOLDER)
    if found is None:
        found = resources.extra[_HOLDER] = ModelHolder(model_dir(resources.settings))
    return found


def model_of(resources: Any) -> ExportedModel | None:
    """The model this process serves with, if one was trained."""
    return holder(resources).model


@contextlib.asynccontextmanager
async def model_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Load the current model at start, then look for a newer one every ``reload_seconds``."""
    resources = app.state.resources
    models = holder(resources)
    every = recommend_settings(resources.settings).reload_seconds

    async def watch() -> None:
        while True:
            try:
                if await fetch(resources.storage, models.directory):
                    log.info("recommender model copied from storage")
            except Exception as exc:  # storage down or a bad pointer: keep serving
                log.error("recommender model not fetched from storage: %s", exc)
            if await asyncio.to_thread(models.refresh):
                log.info("recommender model %s loaded", models.model and models.model.version)
            elif models.error:
                log.error("recommender model not loaded: %s", models.error)
            await asyncio.sleep(every)

    async with in_background(watch()):
        yield


def viewer_key(request: Any) -> str | None:
    """``u<id>`` for a member, ``s<cookie>`` for a browser that sent watch events, else ``None``."""
    user = request.scope.get("user")
    if user is not None:
        return f"u{user.id}"
    cookie = request.cookies.get(VIEWER_COOKIE, "")
    return f"s{cookie}" if _COOKIE.match(cookie) else None


def store(request: Any) -> session.States:
    """Where this app keeps viewer state (see :mod:`nichevid.recommend.stores`)."""
    return session.States(*viewer_stores(request.app))


async def _follows(user_id: int | None, shown: session.Shown) -> list[int]:
    if user_id is None:
        return []
    if time.time() - shown.follows_at > FOLLOWS_SECONDS:
        rows = await Follow.select(Follow.followee).where(Follow.follower == user_id).run()
        shown.follows = [int(row["followee"]) for row in rows]
        shown.follows_at = time.time()
    return shown.follows


async def next_page(
    request: Any, cursor: str | None, size: int
) -> tuple[list[int], str | None, dict[int, str]] | None:
    """The viewer's next For You ids and cursor, or ``None`` for viewers it does not know."""
    if cursor is not None and not _CURSOR.match(cursor):
        raise ValueError(bad_position(cursor))
    resources = request.app.state.resources
    config = recommend_settings(resources.settings)
    key = viewer_key(request)
    if key is None or not config.personal:
        if cursor is None:
            # The first-visit topic picker offers the catalogue's hashtags.
            await catalogue(resources).snapshot()
        return None
    _, config = arm_settings(config, key)
    states = store(request)
    feedback = await session.feedback(states, key)
    shown = await session.shown(states, key)
    if cursor is None:
        shown.new_page()
    choices = await session.choices(states, key)
    user = request.scope.get("user")
    ctx = serve.Context(
        user_id=user.id if user is not None else None,
        feedback=feedback,
        choices=choices,
        seen=shown.ids() | {video for video, _ in feedback},
        recent=[int(card[0]) for card in shown.cards[-config.loop_window :]],
        follows=await _follows(user.id if user is not None else None, shown),
    )
    cat = await catalogue(resources).get()
    model = model_of(resources)
    known = model is not None and user is not None and model.user_row(user.id) is not None
    request.scope[NEW_VIEWER_KEY] = not (choices.picked or feedback or known)
    if choices.mode in ("trending", "chronological"):
        mode = choices.mode
        picks = await _kept(
            request, ctx, size, user, lambda so_far: serve.plain(cat, ctx, mode, size - len(so_far))
        )
    else:
        mark = _mark(feedback, choices, ctx.follows, model, config)
        ready = await _ahead(request, shown, mark, size, user)
        if ready is None:
            rounds = 1 + config.batches_ahead

            def ranked(so_far: list[serve.Pick]) -> list[serve.Pick]:
                recent = ctx.recent + [p.video_id for p in so_far]
                return serve.personal(cat, model, replace(ctx, recent=recent), config, size, rounds)

            queue = await _kept(request, ctx, size, user, ranked)
            ready, rest = queue[:size], queue[size:]
            shown.ahead = [[pick.video_id, pick.reason] for pick in rest]
            shown.ahead_mark = mark
        picks = await subscribed.mixed_in(resources, ready, ctx, user, config)
    shown.cards.extend([pick.video_id, pick.reason] for pick in picks)
    shown.batches += 1
    await session.save_shown(states, key, shown)
    next_cursor = f"r{shown.batches}" if picks else None
    return [p.video_id for p in picks], next_cursor, {p.video_id: p.reason for p in picks}


def _mark(
    feedback: list[tuple[int, float]],
    choices: session.Choices,
    follows: list[int],
    model: ExportedModel | None,
    config: Any,
) -> str:
    """What a ranking pass depends on for this viewer, as a short digest."""
    version = model.version if model is not None else ""
    facts = [feedback, choices.__dict__, follows, version, config]
    raw = json.dumps(facts, sort_keys=True, default=str).encode()
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


async def _ahead(
    request: Any, shown: session.Shown, mark: str, size: int, user: Any
) -> list[serve.Pick] | None:
    """The next batch from the cards ranked ahead, or ``None`` when they no longer hold."""
    if not shown.ahead or shown.ahead_mark != mark:
        return None
    try:
        queued = [serve.Pick(int(video), str(reason)) for video, reason in shown.ahead]
    except (TypeError, ValueError):
        return None  # a damaged record: rank afresh
    # A plugin may have come to refuse a video since it was ranked (a removal, a block).
    refused = await excluded(request, [pick.video_id for pick in queued], user)
    kept = [pick for pick in queued if pick.video_id not in refused]
    shown.ahead = [[pick.video_id, pick.reason] for pick in kept[size:]]
    return kept[:size] or None


async def _kept(
    request: Any,
    ctx: serve.Context,
    size: int,
    user: Any,
    find: Callable[[list[serve.Pick]], list[serve.Pick]],
) -> list[serve.Pick]:
    """What ``find`` picks (given the picks so far), without what plugins refuse."""
    picks: list[serve.Pick] = []
    for _ in range(EXCLUDE_ROUNDS):
        found = find(picks)
        refused = await excluded(request, [p.video_id for p in found], user)
        picks += [p for p in found if p.video_id not in refused]
        ctx.seen |= {p.video_id for p in found}
        if not refused or not found or len(picks) >= size:
            break
    return picks


async def excluded(request: Any, video_ids: list[int], viewer: Any) -> set[int]:
    """The ids plugins keep out of For You for ``viewer`` (``for_you_exclude``)."""
    return await foryou.excluded(request.app.state.resources, video_ids, viewer)


async def take_signals(request: Any, viewer: str, signals: list[Any]) -> None:
    """Turn accepted signals into this session's ratings."""
    ratings = [(int(video), float(rating(found))) for video, found in signals]
    await session.add_feedback(store(request), viewer, ratings)
