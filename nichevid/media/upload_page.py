"""The upload page: a resumable (tus) upload form, then the new video's processing status.

``GET /upload`` serves the form to creators; the browser sends the file to the tus
endpoint at ``/uploads/``. ``/upload/status/{video_id}`` is one piece of UI (the
``upload/_status.html`` partial) that the page includes and htmx polls while the
video is processed; its owner retries or deletes a failed video from there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from babel.numbers import format_decimal
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from litestar.status_codes import (
    HTTP_204_NO_CONTENT,
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_409_CONFLICT,
)

from nichevid.accounts import creators
from nichevid.accounts.guards import requires_login
from nichevid.accounts.services import has_role
from nichevid.i18n import gettext, locale, ngettext
from nichevid.media import options, services
from nichevid.media.settings import media_settings
from nichevid.media.tables import Video

PAGE = "upload/page.html"
STATUS = "upload/_status.html"
DELETED = "upload/_deleted.html"
# Big enough that a phone on a good link sends few requests, small enough that a
# broken connection loses little.
CHUNK_SIZE = 8 * 1024 * 1024
# While a video is in one of these states its status keeps polling.
WORKING = ("uploading", "processing")
# How long after a video is first ready its status waits for the poster.
POSTER_WAIT = timedelta(seconds=60)
_NO_BODY: Any = b""


def visibility_labels() -> dict[str, str]:
    """Who can watch, as the page names each choice (in the request's language)."""
    return {
        "public": gettext("Public: anyone, in the feed"),
        "followers": gettext("Followers only"),
        "subscribers": gettext("Subscribers only"),
        "private": gettext("Private: only you"),
    }


def headline(status: str) -> str:
    """The status title of a video in ``status`` (in the request's language)."""
    headlines = {
        "uploading": gettext("Receiving your video…"),
        "processing": gettext("Processing your video…"),
        "held": gettext("Waiting for review"),
        "scheduled": gettext("Scheduled"),
        "ready": gettext("Your video is ready"),
        "failed": gettext("Processing failed"),
        "removed": gettext("This video was removed"),
    }
    return headlines.get(status, status)


def _user(request: Request[Any, Any, Any]) -> Any:
    return request.scope.get("user")


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def human_bytes(size: int) -> str:
    """``size`` in decimal units, e.g. ``2.1 GB``, as the page shows file sizes."""
    if size < 1000:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    value = size / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{_one_decimal(value)} {unit}"
        value /= 1000
    return f"{_one_decimal(value)} GB"


def _one_decimal(value: float) -> str:
    # The same rounding as "{:.1f}", with the language's decimal mark (1.5, 1,5).
    return format_decimal(round(value, 1), format="0.0", locale=locale())


def page_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What the upload form needs: limits, choices and where to send the file."""
    config = media_settings(request.app.state.settings)
    user = _user(request)
    return {
        "user": user,
        "can_upload": has_role(user, "creator"),
        "max_bytes": config.max_bytes,
        "max_size": human_bytes(config.max_bytes) if config.max_bytes else "",
        "chunk_size": CHUNK_SIZE,
        "caption_max": services.CAPTION_MAX,
        "visibilities": visibility_labels(),
    }


async def _poster(resources: Any, video: Video, viewer: Any) -> dict[str, Any] | None:
    """URLs of the smallest stored poster (``jpg``, ``webp``) and its size."""
    images = services.images_of(video)
    for size in ("grid", "card", "poster"):
        image = images.get(size)
        if isinstance(image, dict) and image.get("jpg"):
            return {
                "jpg": await services.media_url(resources, video, image["jpg"], viewer),
                "webp": await services.media_url(resources, video, image["webp"], viewer)
                if image.get("webp")
                else "",
                "width": image.get("width") or 0,
                "height": image.get("height") or 0,
            }
    if video.poster_key:
        url = await services.media_url(resources, video, video.poster_key, viewer)
        return {"jpg": url, "webp": "", "width": 0, "height": 0}
    return None


async def can_retry(resources: Any, video: Video) -> bool:
    """Whether :func:`services.retry_video` would queue ``video`` again."""
    return bool(
        video.status == "failed"
        and video.source_key
        and await resources.storage.exists(video.source_key)
    )


def signature(context: dict[str, Any]) -> str:
    """What the status shows, in short: an unchanged one needs no new fragment."""
    video, done, ladder = context["video"], context["done"], context["ladder"]
    has_poster, polling = context["poster"] is not None, context["polling"]
    return f"{video.status}.{len(done)}.{len(ladder)}.{has_poster:d}.{polling:d}"


def _just_published(video: Video) -> bool:
    published: datetime | None = video.published_at
    if published is None:
        return False
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return datetime.now(UTC) - published < POSTER_WAIT


async def status_context(resources: Any, video: Video, viewer: Any) -> dict[str, Any]:
    """Everything ``upload/_status.html`` shows of one video."""
    done = [r.label for r in await services.renditions_of(video) if r.kind == "mp4"]
    ladder = services.ladder_of(video)
    pending = [label for label in ladder if label not in done]
    ready = video.status == "ready"
    poster = await _poster(resources, video, viewer) if ready else None
    # A video plays once its first size exists; the other sizes and the poster follow,
    # so the status keeps looking until they are there (or the poster is overdue).
    filling_in = ready and bool(pending or (poster is None and _just_published(video)))
    context = {
        "video": video,
        "headline": headline(video.status),
        "polling": video.status in WORKING or filling_in,
        "ladder": ladder,
        "done": done,
        "pending": pending,
        "poster": poster,
        "public_page": services.is_open(video),
        "visibility_label": visibility_labels().get(video.visibility, video.visibility),
        "can_retry": await can_retry(resources, video),
        "message": "",
    }
    context["signature"] = signature(context)
    return context


async def _with_fields(request: Request[Any, Any, Any], context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with the plugins' fields of the upload form (for creators only)."""
    fields = ""
    if context["can_upload"]:
        resources = request.app.state.resources
        fields = await options.form_fields(resources, request, _user(request))
    return {**context, "video_fields": fields}


async def _becoming(request: Request[Any, Any, Any], context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with how this member may become a creator (for those who are not)."""
    if context["can_upload"]:
        return context
    user = _user(request)
    return {
        **context,
        "creator_access": creators.access(request.app.state.settings),
        "creator_waiting": await creators.waiting(user) if user is not None else None,
        "creator_declined": await creators.last_decided(user) if user is not None else None,
    }


async def _own_video(request: Request[Any, Any, Any], video_id: str) -> Video:
    """The signed-in user's video ``video_id`` (its slug); 404 for anyone else's."""
    video = await services.get_video(slug=video_id) if len(video_id) <= 16 else None
    user = _user(request)
    if video is None or user is None or video.owner != user.id:
        raise NotFoundException(gettext("No such video among yours."))
    return video


class UploadPages(Controller):
    """The upload form and the processing status of the uploaded video."""

    path = "/upload"
    guards = [requires_login]
    tags = ["uploads"]
    include_in_schema = False

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        """The upload form; members who are not creators learn how to become one.

        ``?caption=`` starts the caption (a challenge's "join" link gives its hashtag).
        """
        context = await _with_fields(request, page_context(request))
        context["caption"] = request.query_params.get("caption", "")[: services.CAPTION_MAX]
        context = await _becoming(request, context)
        # A member with a way in here (start creating, or ask to) has a page to use.
        closed = not context["can_upload"] and context["creator_access"] == "operators"
        return Template(PAGE, context=context, status_code=HTTP_403_FORBIDDEN if closed else 200)

    @post("/creator")
    async def start_creating(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Turn creating on for this member (``accounts.creator_access = "open"``)."""
        if has_role(_user(request), "creator"):
            return Redirect("/upload", status_code=HTTP_303_SEE_OTHER)  # it is on already
        try:
            await creators.start(request.scope["user"], request.app.state.settings)
        except creators.CreatorError as exc:
            return await self._refused(request, exc)
        return Redirect("/upload", status_code=HTTP_303_SEE_OTHER)

    @post("/creator-request")
    async def ask_to_create(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Ask the moderators to make this member a creator (``creator_access = "request"``)."""
        if has_role(_user(request), "creator"):
            return Redirect("/upload", status_code=HTTP_303_SEE_OTHER)  # it is on already
        form = await request.form()
        message = str(form.get("message") or "")
        try:
            await creators.ask(request.scope["user"], request.app.state.settings, message)
        except creators.CreatorError as exc:
            return await self._refused(request, exc, message=message)
        return Redirect("/upload", status_code=HTTP_303_SEE_OTHER)

    async def _refused(
        self, request: Request[Any, Any, Any], exc: creators.CreatorError, **context: Any
    ) -> Template:
        page = await _with_fields(request, page_context(request))
        page = {**page, **context, "creator_error": exc.message}
        return Template(
            PAGE, context=await _becoming(request, page), status_code=HTTP_400_BAD_REQUEST
        )

    @get("/status/{video_id:str}")
    async def status(
        self,
        request: Request[Any, Any, Any],
        video_id: FromPath[str],
        seen: FromQuery[str] = "",
    ) -> Template | Response[None]:
        """The status fragment (htmx), or the upload page showing it.

        A poll that names the status it already shows (``seen``) gets 204 while nothing
        changed, so htmx leaves the page alone.
        """
        resources = request.app.state.resources
        video = await _own_video(request, video_id)
        context = await status_context(resources, video, _user(request))
        if not _is_htmx(request):
            page = await _with_fields(request, page_context(request))
            return Template(PAGE, context={**page, "status": context})
        if seen and seen == context["signature"]:
            return Response(_NO_BODY, status_code=HTTP_204_NO_CONTENT)
        return Template(STATUS, context={"status": context})

    @post("/status/{video_id:str}/retry")
    async def retry(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> Template | Redirect:
        """Process a failed video again from its kept original."""
        resources = request.app.state.resources
        video = await _own_video(request, video_id)
        queued = await services.retry_video(resources, video)
        fresh = await services.get_video(video_id=video.id) or video
        context = await status_context(resources, fresh, _user(request))
        if not queued:
            context["message"] = _refusal(fresh)
        if not _is_htmx(request):
            return Redirect(f"/upload/status/{fresh.slug}", status_code=HTTP_303_SEE_OTHER)
        code = 200 if queued else HTTP_409_CONFLICT
        return Template(STATUS, context={"status": context}, status_code=code)

    @post("/status/{video_id:str}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> Template | Redirect:
        """Delete the video with every stored file."""
        video = await _own_video(request, video_id)
        await services.delete_video(request.app.state.resources, video)
        if not _is_htmx(request):
            return Redirect("/upload", status_code=HTTP_303_SEE_OTHER)
        return Template(DELETED, context={"video": video})


def _refusal(video: Video) -> str:
    """Why a retry of ``video`` was not queued, and what to do instead."""
    if video.status in WORKING:
        return gettext("It is already being processed; wait a moment.")
    if video.status == "failed":
        return gettext(
            "Its original file is no longer stored, so it cannot be processed again; "
            "delete it and upload the file again."
        )
    return gettext(
        "Only a video whose processing failed can be retried; this one is %(status)s.",
        status=video.status,
    )
