"""Downloads as a plugin of the core: the table, the route, the form box, the link."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid.downloads.services import CHOICE
from nichevid.i18n import gettext
from nichevid.media.choices import form_hooks
from nichevid.plugins import hookimpl
from nichevid.settings import Settings

# Which of the page's videos are offered, left by prepare_cards for the slot.
OFFERED_KEY = "nichevid.downloads.offered"


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.downloads.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.downloads.routes import Downloads

    return [Downloads]


video_form_fields, video_options_check, video_options_saved = form_hooks(CHOICE)


@hookimpl
async def prepare_cards(request: Any, cards: list[Any]) -> None:
    """On a video's own page, read whether it is offered for download (feeds never ask)."""
    from nichevid.downloads.services import OFFERED

    if cards and request.scope.get("path", "").startswith("/v/"):
        request.scope.setdefault(OFFERED_KEY, set()).update(
            await OFFERED.which([c.id for c in cards])
        )


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    request, video = context.get("request"), context.get("video")
    if slot != "video_page" or request is None or video is None:
        return None
    user = context.get("user")
    mine = user is not None and user.username == video.username
    if not mine and video.id not in request.scope.get(OFFERED_KEY, ()):
        return None
    text = escape(gettext("Download"))
    return (
        f'<p class="nv-download"><a class="nv-button" href="/v/{escape(video.slug)}/download" '
        f'download rel="nofollow">{text}</a></p>'
    )
