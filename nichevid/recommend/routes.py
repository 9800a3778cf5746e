"""What a viewer controls: why a card is shown, "not interested", interests, feed mode, reset.

Members keep their choices under their account, browsers under their viewer
cookie (set here when they have none yet), in the recommender's store.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_role
from nichevid.accounts.tables import User
from nichevid.feed.events_api import new_viewer_cookie, viewer_cookie
from nichevid.i18n import gettext
from nichevid.media import gates
from nichevid.media.tables import Video
from nichevid.recommend import ab, session
from nichevid.recommend.catalogue import catalogue
from nichevid.recommend.feed import holder, store, viewer_key
from nichevid.recommend.ratings import NOT_INTERESTED
from nichevid.recommend.settings import recommend_settings
from nichevid.recommend.training import TRAIN_JOB, read_status
from nichevid.recommend.why import explain

KINDS = ("video", "creator", "hashtag")
MAX_TAG = 64


def _key_and_cookie(request: Request[Any, Any, Any]) -> tuple[str, list[Any]]:
    """The viewer's key; a browser without a viewer cookie gets one now."""
    key = viewer_key(request)
    if key is not None:
        return key, []
    value, _ = viewer_cookie(request)
    return f"s{value}", [new_viewer_cookie(request, value)]


async def _video(request: Request[Any, Any, Any], slug: str) -> dict[str, Any]:
    """The ready video ``slug`` when the viewer may watch it (open, or gated and theirs
    to watch, as a subscriber's card in their For You); 404 otherwise."""
    row = (
        await Video.select(
            Video.id,
            Video.slug,
            Video.caption,
            Video.hashtags,
            Video.owner,
            Video.visibility,
            Video.age_restricted,
            Video.owner.username.as_alias("username"),
        )
        .where((Video.slug == slug) & (Video.status == "ready"))
        .first()
        .run()
    )
    if row is not None and (row["visibility"] != "public" or row["age_restricted"]):
        viewer = request.scope.get("user")
        allowed = await gates.viewable_ids(
            request.app.state.resources, [gates.video_of(row)], viewer
        )
        row = row if int(row["id"]) in allowed else None
    if row is None:
        raise NotFoundException(gettext("This video does not exist or is not public."))
    return row


async def _form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    return {key: form.getall(key) for key in form}


def _one(form: dict[str, Any], name: str) -> str:
    values = form.get(name) or [""]
    value = values[0]
    return value.strip() if isinstance(value, str) else ""


def _top_tags(request: Request[Any, Any, Any], keep: list[str], count: int = 16) -> list[str]:
    current = catalogue(request.app.state.resources).current
    tags = sorted(current.by_tag, key=lambda t: -len(current.by_tag[t]))[:count] if current else []
    return list(dict.fromkeys([*keep, *tags]))


class FeedChoicesController(Controller):
    """The viewer's say over For You."""

    path = "/feed"
    include_in_schema = False

    @get("/why/{slug:str}")
    async def why(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """One sentence on why this card is in the viewer's feed."""
        video = await _video(request, slug)
        key = viewer_key(request)
        reason = None
        if key is not None:
            reason = (await session.shown(store(request), key)).reason(int(video["id"]))
        similar = None
        if reason and reason.startswith(("similar:", "series:")):
            loved = (
                await Video.select(Video.caption, Video.slug)
                .where(Video.id == int(reason.split(":", 1)[1]))
                .first()
                .run()
            )
            similar = (loved["caption"] or loved["slug"])[:80] if loved else None
        text = explain(reason, video["username"], similar, request.app.state.settings.site_name)
        return Template("recommend/_why.html", context={"text": text})

    @post("/not-interested")
    async def not_interested(self, request: Request[Any, Any, Any]) -> Template:
        """Hide a video, a creator or a hashtag from this viewer's For You."""
        form = await _form(request)
        kind, slug, tag = _one(form, "kind"), _one(form, "video"), _one(form, "tag")[:MAX_TAG]
        if kind not in KINDS:
            raise ClientException(
                gettext("Choose what to hide: the video, its creator or a hashtag.")
            )
        video = await _video(request, slug)
        if kind == "hashtag" and tag not in (video["hashtags"] or []):
            raise ClientException(gettext("That hashtag is not on this video."))
        key, cookies = _key_and_cookie(request)
        states = store(request)
        choices = await session.choices(states, key)
        if kind == "video":
            choices.hidden_videos.append(int(video["id"]))
        elif kind == "creator":
            choices.hidden_creators.append(int(video["owner"]))
        else:
            choices.hidden_tags.append(tag)
        await session.save_choices(states, key, choices)
        await session.add_feedback(states, key, [(int(video["id"]), float(NOT_INTERESTED))])
        context = {"kind": kind, "value": tag if kind == "hashtag" else video["username"]}
        return Template("recommend/_hidden.html", context=context, cookies=cookies)

    @get("/settings")
    async def settings_page(self, request: Request[Any, Any, Any]) -> Template:
        """Feed mode, interests, hidden things and the reset button."""
        return await _settings_page(request, saved=request.query_params.get("saved") == "1")

    @post("/settings")
    async def save_settings(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Keep the feed mode and interests."""
        form = await _form(request)
        mode = _one(form, "mode") or "personal"
        if mode not in session.MODES:
            raise ClientException(gettext("Choose one of the feed orders offered."))
        key, cookies = _key_and_cookie(request)
        states = store(request)
        choices = await session.choices(states, key)
        choices.mode = mode
        choices.interests = _interests(form)
        choices.picked = True
        await session.save_choices(states, key, choices)
        return Redirect("/feed/settings?saved=1", status_code=HTTP_303_SEE_OTHER, cookies=cookies)

    @post("/interests")
    async def pick_interests(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The first-visit picker: the chosen hashtags lead the first batches."""
        form = await _form(request)
        key, cookies = _key_and_cookie(request)
        states = store(request)
        choices = await session.choices(states, key)
        choices.interests = [] if _one(form, "skip") else _interests(form)
        choices.picked = True
        await session.save_choices(states, key, choices)
        return Redirect("/", status_code=HTTP_303_SEE_OTHER, cookies=cookies)

    @post("/unhide")
    async def unhide(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Show a hidden creator or hashtag again, or every hidden video."""
        form = await _form(request)
        kind, value = _one(form, "kind"), _one(form, "value")
        key = viewer_key(request)
        if key is not None:
            states = store(request)
            choices = await session.choices(states, key)
            if kind == "creator" and value.isdigit():
                choices.hidden_creators = [c for c in choices.hidden_creators if c != int(value)]
            elif kind == "hashtag":
                choices.hidden_tags = [t for t in choices.hidden_tags if t != value]
            elif kind == "videos":
                choices.hidden_videos = []
            else:
                raise ClientException(gettext("Choose what to show again."))
            await session.save_choices(states, key, choices)
        return Redirect("/feed/settings?saved=1", status_code=HTTP_303_SEE_OTHER)

    @post("/reset")
    async def reset(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Forget what the feed learned about this viewer and start again."""
        key = viewer_key(request)
        if key is not None:
            await session.reset(store(request), key, time.time())
        return Redirect("/feed/settings?saved=1", status_code=HTTP_303_SEE_OTHER)


def _interests(form: dict[str, Any]) -> list[str]:
    picked = [
        v.strip().lstrip("#")[:MAX_TAG] for v in form.get("interest", []) if isinstance(v, str)
    ]
    return list(dict.fromkeys(t for t in picked if t))[: session.MAX_INTERESTS]


async def _settings_page(request: Request[Any, Any, Any], saved: bool) -> Template:
    key = viewer_key(request)
    choices = await session.choices(store(request), key) if key else session.Choices()
    creators = []
    if choices.hidden_creators:
        creators = (
            await User.select(User.id, User.username)
            .where(User.id.is_in(choices.hidden_creators))
            .run()
        )
    context = {
        "choices": choices,
        "tags": _top_tags(request, choices.interests),
        "hidden_creators": creators,
        "saved": saved,
        "user": request.scope.get("user"),
    }
    return Template("recommend/settings.html", context=context)


class RecommenderAdmin(Controller):
    """Operators' view of the recommender: the model, the last training run, the A/B arms."""

    path = "/admin/recommender"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        """Model in use, last run, and For You figures per arm over the training window."""
        resources = request.app.state.resources
        settings = resources.settings
        config = recommend_settings(settings)
        since = datetime.now(UTC) - timedelta(days=config.window_days)
        models = holder(resources)
        context = {
            "model": models.model.meta if models.model else None,
            "model_error": models.error,
            "last_run": read_status(settings),
            "arms": await ab.report(config.ab_share, since),
            "config": config,
            "queued": request.query_params.get("queued") == "1",
            "user": request.scope.get("user"),
        }
        return Template("recommend/admin.html", context=context)

    @post("/train")
    async def train(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Queue a training run now (one at a time)."""
        await request.app.state.resources.jobs.enqueue(TRAIN_JOB, job_id="recommend-train-now")
        return Redirect("/admin/recommender?queued=1", status_code=HTTP_303_SEE_OTHER)
