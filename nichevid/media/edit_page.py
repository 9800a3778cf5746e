"""The video edit form: a creator changes a video's caption, audience, publishing time
(until it is published) and plugin choices.

``GET /upload/edit/{slug}`` shows the form to the video's owner (anyone else gets 404);
``POST`` checks everything first (the caption, the visibility, then the plugins'
choices through ``video_options_check``) and stores nothing on a refusal, so the form
comes back with the message and what was typed. Saved choices reach the plugins
through ``video_options_saved``.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_login
from nichevid.i18n import gettext
from nichevid.media import options, schedule, services
from nichevid.media.tables import Video
from nichevid.media.upload_page import visibility_labels

EDIT = "upload/edit.html"


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


async def _own_video(request: Request[Any, Any, Any], slug: str) -> Video:
    """The signed-in user's video ``slug``; 404 for anyone else's (or a removed one)."""
    video = await services.get_video(slug=slug) if 0 < len(slug) <= 16 else None
    user = request.scope.get("user")
    if video is None or user is None or video.owner != user.id or video.status == "removed":
        raise NotFoundException(gettext("No such video among yours."))
    return video


async def _page(
    request: Request[Any, Any, Any],
    video: Video,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    done: bool = False,
    status: int = 200,
) -> Template:
    user = request.scope.get("user")
    resources = request.app.state.resources
    values = form or {"caption": video.caption or "", "visibility": video.visibility}
    posted: dict[str, str] | None = None
    if form is not None:
        try:
            posted = options.options_of(form)
        except ValueError:
            # Too many or too long: the fields show the video's stored choices.
            posted = None
    stored = video.publish_at
    context = {
        "user": user,
        "video": video,
        "form": values,
        "can_schedule": video.published_at is None,
        "publish_at_value": (form or {}).get("publish_at")
        or (stored.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if stored else ""),
        "publish_at_utc": stored.astimezone(UTC).isoformat() if stored and form is None else "",
        "visibilities": visibility_labels(),
        "caption_max": services.CAPTION_MAX,
        "video_fields": await options.form_fields(resources, request, user, video, posted),
        "error": error,
        "done": done,
    }
    return Template(EDIT, context=context, status_code=status)


class VideoEditPages(Controller):
    """``/upload/edit/{slug}``: the owner's form for one video."""

    path = "/upload/edit"
    guards = [requires_login]
    tags = ["uploads"]
    include_in_schema = False

    @get("/{slug:str}")
    async def form(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """The form, filled with the video as it is."""
        video = await _own_video(request, slug)
        return await _page(request, video, done=request.query_params.get("saved") == "1")

    @post("/{slug:str}")
    async def save(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Template | Redirect:
        """Check and store the caption, the visibility and the plugins' choices."""
        video = await _own_video(request, slug)
        resources = request.app.state.resources
        submitted = await request.form()
        typed = {name: _text(submitted, name) for name in submitted}
        scheduling = "publish_at" in typed and video.published_at is None
        try:
            caption = services.check_caption(typed.get("caption", ""))
            visibility = services.check_visibility(typed.get("visibility", ""))
            chosen = options.options_of(typed)
            when = (
                schedule.parse_publish_at(typed["publish_at"], typed.get("utc_offset"))
                if scheduling
                else None
            )
        except ValueError as exc:
            return await _page(request, video, form=typed, error=str(exc), status=400)
        user = request.scope.get("user")
        refusal = await options.check(resources, user, video, visibility, chosen)
        if refusal:
            return await _page(request, video, form=typed, error=refusal, status=400)
        try:
            video = await services.update_video(video, caption=caption, visibility=visibility)
        except LookupError as exc:
            raise NotFoundException(gettext("No such video among yours.")) from exc
        if scheduling:
            try:
                video = await schedule.set_schedule(resources.pm, video, when)
            except LookupError as exc:
                raise NotFoundException(gettext("No such video among yours.")) from exc
        await options.saved(resources, video, chosen)
        return Redirect(f"/upload/edit/{video.slug}?saved=1", status_code=HTTP_303_SEE_OTHER)
