"""The recommender's parts of pages: a card's "more" menu, the topic picker, a settings link."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import escape

from nichevid import i18n
from nichevid.admin.menu import admin_links
from nichevid.recommend.catalogue import catalogue

# Set by the For You feed while it chooses a batch: whether this viewer is still new.
NEW_VIEWER_KEY = "nichevid.recommend.new_viewer"
PICKER_TAGS = 16


def render(slot: str, context: dict[str, Any]) -> str | None:
    """The HTML of ``slot`` for this page, or ``None``."""
    request = context.get("request")
    if request is None:
        return None
    env = request.app.template_engine.engine
    if slot == "video_actions" and context.get("video") is not None:
        video = context["video"]
        return _menu(env, i18n.current(), video.slug, video.username, tuple(video.hashtags[:3]))
    if slot == "splash" and _wants_picker(request):
        current = catalogue(request.app.state.resources).current
        if current is None or not current.by_tag:
            return None
        tags = sorted(current.by_tag, key=lambda t: -len(current.by_tag[t]))[:PICKER_TAGS]
        return str(env.get_template("recommend/_picker.html").render(tags=tags, request=request))
    if slot == "admin_menu":
        return admin_links(context, [("admin", "/admin/recommender", i18n.gettext("Recommender"))])
    if slot == "settings_menu":
        path = request.scope["path"].rstrip("/")
        return _link("/feed/settings", i18n.gettext("Your feed"), path == "/feed/settings")
    return None


def _link(href: str, text: str, current: bool) -> str:
    mark = ' aria-current="page"' if current else ""
    return f'<a href="{href}"{mark}>{escape(text)}</a>'


def _wants_picker(request: Any) -> bool:
    """Viewers the feed knows nothing about yet get the picker (see ``feed.next_page``)."""
    return bool(request.scope.get(NEW_VIEWER_KEY, True))


@lru_cache(maxsize=8192)
def _menu(env: Any, language: str, slug: str, username: str, tags: tuple[str, ...]) -> str:
    video = {"slug": slug, "username": username, "hashtags": list(tags)}
    return str(env.get_template("recommend/_more.html").render(video=video))
