"""The owner's captions panel: list, upload (add or replace) and delete subtitle tracks.

``/v/{slug}/captions`` is one piece of UI (``captions/_panel.html``): the video's page
loads it for its owner with htmx, and without htmx it is a page of its own, which also
serves videos that have no public page (private, followers-only, still processing).
A refused upload comes back as the panel with the message and the typed values kept;
htmx swaps only successful answers, so the panel answers htmx with 200 either way.
"""

from __future__ import annotations

import functools
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_login
from nichevid.captions import services
from nichevid.captions.languages import LABEL_MAX, MAX_LENGTH, default_label
from nichevid.captions.settings import captions_settings
from nichevid.i18n import LANGUAGES, gettext
from nichevid.media import services as media
from nichevid.media.tables import Video

PANEL = "captions/_panel.html"
PAGE = "captions/page.html"
# Offered while typing a language; any other valid tag is accepted too.
SUGGESTED = ("en", "es", "pt-BR", "fr", "de", "it", "nl", "ja", "ko", "zh-Hans", "zh-Hant",
             "ar", "hi", "ru", "tr", "pl")  # fmt: skip


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


@functools.cache
def suggestions() -> tuple[tuple[str, str], ...]:
    """Language tags offered in the form, with their names."""
    codes = dict.fromkeys([*LANGUAGES, *SUGGESTED])
    return tuple((code, default_label(code)) for code in codes)


def human_bytes(size: int) -> str:
    """``size`` as the form states the limit, e.g. ``512 kB``."""
    return f"{size / 1000:.0f} kB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"


async def _own_video(request: Request[Any, Any, Any], slug: str) -> Video:
    """The signed-in user's video ``slug``; 404 for anyone else's."""
    video = await media.get_video(slug=slug) if 0 < len(slug) <= 16 else None
    user = request.scope.get("user")
    if video is None or user is None or int(video.owner) != int(user.id):
        raise NotFoundException(gettext("No such video among yours."))
    return video


async def panel_context(request: Request[Any, Any, Any], video: Video) -> dict[str, Any]:
    """What the panel shows: the tracks, the limits and whether more can be added."""
    resources = request.app.state.resources
    config = captions_settings(resources.settings)
    user = request.scope.get("user")
    rows = await services.captions_of(video)
    tracks = [
        {"row": row, "url": await services.track_url(resources, video, row, user)} for row in rows
    ]
    closed = services.closed_reason(video.status) if video.status in services.CLOSED else ""
    if not closed and not video.duration_ms:
        closed = gettext("Captions can be added once the video is processed.")
    return {
        "video": video,
        "user": user,
        "tracks": tracks,
        "closed": closed,
        "full": len(rows) >= config.max_tracks,
        "max_tracks": config.max_tracks,
        "max_size": human_bytes(config.max_bytes),
        "language_max": MAX_LENGTH,
        "label_max": LABEL_MAX,
        "suggestions": suggestions(),
        "public_page": media.is_open(video),
        "message": "",
        "error": "",
        "form": {"language": "", "label": ""},
    }


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


class CaptionPages(Controller):
    """The captions panel of one of the signed-in user's videos."""

    path = "/v"
    guards = [requires_login]
    include_in_schema = False

    def _render(
        self, request: Request[Any, Any, Any], context: dict[str, Any], status: int = 200
    ) -> Template:
        if _is_htmx(request):
            return Template(PANEL, context=context)
        return Template(PAGE, context=context, status_code=status)

    @get("/{slug:str}/captions")
    async def panel(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """The panel (htmx), or a page with it."""
        video = await _own_video(request, slug)
        return self._render(request, await panel_context(request, video))

    @post("/{slug:str}/captions")
    async def upload(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Template | Redirect:
        """Add or replace the track of the language given, from a form with a file."""
        video = await _own_video(request, slug)
        resources = request.app.state.resources
        form = await request.form()
        language, label = _text(form, "language"), _text(form, "label")
        upload = form.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise services.CaptionError(gettext("Choose a WebVTT (.vtt) file to upload."))
            data = await upload.read()
            row, created = await services.put_caption(
                resources, video, language, data, label=label or None
            )
        except services.CaptionError as exc:
            context = await panel_context(request, video)
            context["error"] = exc.message
            context["form"] = {"language": language, "label": label}
            return self._render(request, context, exc.status)
        if not _is_htmx(request):
            return Redirect(f"/v/{video.slug}/captions", status_code=HTTP_303_SEE_OTHER)
        context = await panel_context(request, video)
        if created:
            context["message"] = gettext("Captions in %(label)s added.", label=row.label)
        else:
            context["message"] = gettext("Captions in %(label)s replaced.", label=row.label)
        return self._render(request, context)

    @post("/{slug:str}/captions/{language:str}/delete")
    async def remove(
        self, request: Request[Any, Any, Any], slug: FromPath[str], language: FromPath[str]
    ) -> Template | Redirect:
        """Delete the track of one language."""
        video = await _own_video(request, slug)
        deleted = await services.delete_caption(request.app.state.resources, video, language)
        if not _is_htmx(request):
            return Redirect(f"/v/{video.slug}/captions", status_code=HTTP_303_SEE_OTHER)
        context = await panel_context(request, video)
        if deleted:
            context["message"] = gettext("Captions deleted.")
        else:
            context["error"] = gettext("These captions were already deleted.")
        return self._render(request, context)
