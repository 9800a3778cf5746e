"""What the safety package puts into page slots, and what it reads for them in advance."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid.i18n import gettext
from nichevid.safety import blocks

PROFILE_KEY = "nichevid.safety.profile"
# Pages whose feed shows the well-being notices.
FEED_PAGES = ("/", "/following")


async def prepare_profile(request: Any, member: Any) -> None:
    """Whether the viewer blocks or mutes the profile's member (nothing for their own)."""
    viewer = request.scope.get("user")
    if viewer is None or viewer.id == member.id:
        return
    state = (await blocks.blocks(viewer, member), await blocks.mutes(viewer, member))
    request.scope.setdefault(PROFILE_KEY, {})[member.id] = state


def profile_actions(context: dict[str, Any]) -> str | None:
    """The block and mute buttons of a profile (or the lift buttons when set)."""
    request, member = context.get("request"), context.get("member")
    if request is None or not member:
        return None
    state = request.scope.get(PROFILE_KEY, {}).get(member["id"])
    if state is None:
        return None
    blocking, muting = state
    env = request.app.template_engine.engine
    template = env.get_template("safety/_profile_actions.html")
    return str(template.render(username=member["username"], blocking=blocking, muting=muting))


def settings_link(context: dict[str, Any]) -> str | None:
    """The Safety entry of the settings menu."""
    request = context.get("request")
    current = request is not None and request.url.path == "/settings/safety"
    mark = ' aria-current="page"' if current else ""
    return f'<a href="/settings/safety"{mark}>{escape(gettext("Safety and well-being"))}</a>'


def head(context: dict[str, Any]) -> str | None:
    """The well-being script, on the feed pages only."""
    request = context.get("request")
    if request is None or request.url.path not in FEED_PAGES:
        return None
    return '<script src="/static/plugins/safety/wellbeing.js" defer></script>'
