"""The moderation plugin's parts of pages: report links and the moderators' menu."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid import i18n
from nichevid.admin.menu import admin_links

FLAG_ICON = (
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 3h2v18H5zM8 4h10l-2 4 2 4H8z"/></svg>'
)


def render(slot: str, context: dict[str, Any]) -> str | None:
    """The HTML of ``slot`` for this page, or ``None``."""
    request = context.get("request")
    if request is None:
        return None
    if slot == "video_actions" and context.get("video") is not None:
        # The same for every viewer, so it suits shared card batches.
        slug = escape(context["video"].slug)
        label = escape(i18n.gettext("Report"))
        return (
            f'<a class="nv-action nv-action--report" href="/report/video/{slug}" '
            f'aria-label="{label}" title="{label}" rel="nofollow">{FLAG_ICON}</a>'
        )
    if slot == "video_page" and context.get("video") is not None:
        slug = escape(context["video"].slug)
        text = escape(i18n.gettext("Report this video"))
        return (
            f'<p class="nv-report-link"><a href="/report/video/{slug}" rel="nofollow">'
            f"{text}</a></p>"
        )
    if slot == "profile_header" and context.get("member") is not None:
        member, user = context["member"], context.get("user")
        name = member["username"] if isinstance(member, dict) else member.username
        if user is not None and user.username == name:
            return None
        text = escape(i18n.gettext("Report account"))
        return (
            f'<a class="nv-report-link" href="/report/account/{escape(name)}" rel="nofollow">'
            f"{text}</a>"
        )
    if slot == "playlist_page" and context.get("playlist") is not None:
        playlist, user = context["playlist"], context.get("user")
        if user is not None and int(user.id) == playlist.owner_id:
            return None
        text = escape(i18n.gettext("Report this playlist"))
        return (
            f'<p class="nv-report-link"><a href="/report/playlist/{int(playlist.id)}" '
            f'rel="nofollow">{text}</a></p>'
        )
    if slot == "comment_actions" and context.get("comment") is not None:
        comment, user = context["comment"], context.get("user")
        if user is not None and user.username == comment.username:
            return None
        text = escape(i18n.gettext("Report"))
        return (
            f'<a class="nv-link nv-report-link" href="/report/comment/{int(comment.id)}" '
            f'rel="nofollow">{text}</a>'
        )
    if slot == "settings_menu":
        return _menu(request)
    if slot == "admin_menu":
        return admin_links(
            context,
            [
                ("moderator", "/moderation", i18n.gettext("Review queue")),
                ("moderator", "/moderation/appeals", i18n.gettext("Appeals to decide")),
                ("moderator", "/moderation/audit", i18n.gettext("Audit log")),
                ("admin", "/moderation/stats", i18n.gettext("Moderation statistics")),
            ],
        )
    return None


def _menu(request: Any) -> str | None:
    user = request.scope.get("user")
    if user is None:
        return None
    links = [
        ("/moderation/mine/reports", i18n.gettext("Your reports")),
        ("/moderation/mine/appeals", i18n.gettext("Removals and appeals")),
    ]
    path = request.scope["path"].rstrip("/")
    out = []
    for href, text in links:
        mark = ' aria-current="page"' if path == href else ""
        out.append(f'<a href="{href}"{mark}>{escape(text)}</a>')
    return "\n".join(out)
