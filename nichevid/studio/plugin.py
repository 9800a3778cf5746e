"""The studio as a plugin of the core: its pages, its API and links to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import escape

from nichevid.accounts.services import has_role
from nichevid.i18n import gettext
from nichevid.plugins import hookimpl
from nichevid.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.studio.routes import StudioApi, StudioPages

    return [StudioPages, StudioApi]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    user = context.get("user")
    if user is None or not has_role(user, "creator"):
        return None
    if slot == "settings_menu":
        request = context.get("request")
        here = request is not None and request.url.path.startswith("/studio")
        mark = ' aria-current="page"' if here else ""
        return f'<a href="/studio"{mark}>{escape(gettext("Studio"))}</a>'
    if slot == "upload_ready":
        video = context.get("video")
        if video is None:
            return None
        text = escape(gettext("See how it does in your studio"))
        return f'<p><a href="/studio/v/{escape(video.slug)}">{text}</a></p>'
    return None
