"""The admin home (``/admin``) and its place in the settings menu."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import escape

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid.admin.announcement_routes import AnnouncementPage
    from nichevid.admin.members import MembersPage
    from nichevid.admin.routes import ActivityPage, AdminHome

    return [AdminHome, ActivityPage, MembersPage, AnnouncementPage]


@hookimpl
def register_lifespan() -> list[Any]:
    from nichevid.admin.announcement import refreshing

    return [refreshing]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid.accounts.services import has_role
    from nichevid.i18n import gettext

    request, user = context.get("request"), context.get("user")
    if slot == "admin_menu":
        from nichevid.admin.menu import admin_links

        links = [
            ("moderator", "/admin/members", gettext("Members")),
            ("admin", "/admin/activity", gettext("Activity")),
            ("admin", "/admin/announcement", gettext("Announcement")),
        ]
        return admin_links(context, links)
    if slot == "body_end" and request is not None:
        return _banner(request)
    if slot != "settings_menu" or request is None or user is None:
        return None
    if not has_role(user, "moderator"):
        return None
    current = ' aria-current="page"' if request.scope["path"].rstrip("/") == "/admin" else ""
    return f'<a href="/admin"{current}>{escape(gettext("Administration"))}</a>'


def _banner(request: Any) -> str | None:
    from nichevid.admin.announcement import shown

    found = shown(request.app)
    if found is None:
        return None
    env = request.app.template_engine.engine
    return str(env.get_template("admin/_banner.html").render(found=found))
