"""The admin home (``/admin``) and its place in the settings menu."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import escape

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid.admin.members import MembersPage
    from nichevid.admin.routes import ActivityPage, AdminHome

    return [AdminHome, ActivityPage, MembersPage]


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
        ]
        return admin_links(context, links)
    if slot != "settings_menu" or request is None or user is None:
        return None
    if not has_role(user, "moderator"):
        return None
    current = ' aria-current="page"' if request.scope["path"].rstrip("/") == "/admin" else ""
    return f'<a href="/admin"{current}>{escape(gettext("Administration"))}</a>'
