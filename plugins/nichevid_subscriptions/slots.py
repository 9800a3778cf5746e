"""The plugin's parts of pages: badges on comments, subscribe links, the locked teaser.

Slots render synchronously, so what they show per comment or profile is read first
in ``prepare_comments`` and ``prepare_profile`` and kept in ``request.scope``.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid import i18n
from nichevid.accounts.services import has_role
from nichevid_subscriptions import services
from nichevid_subscriptions.tiers import tiers_of

BADGES = "nichevid_subscriptions.badges"
PROFILE_TIERS = "nichevid_subscriptions.profile_tiers"
STYLESHEET = "/static/plugins/subscriptions/subscriptions.css"


async def prepare_comments(request: Any, video: Any, author_ids: list[int]) -> None:
    """Read the badges of the authors subscribed to the video's creator, in one query."""
    owner = int(video.owner if isinstance(video.owner, int) else video.owner.id)
    request.scope[BADGES] = await services.badges(owner, author_ids)


async def prepare_profile(request: Any, member: Any) -> None:
    """Whether the profile's member offers tiers (for the subscribe link)."""
    request.scope.setdefault(PROFILE_TIERS, {})[int(member.id)] = len(await tiers_of(member.id))


def badge(label: str) -> str:
    """The HTML of a subscriber badge."""
    title = escape(i18n.gettext("Subscriber"))
    return f'<span class="nv-sub-badge" title="{title}">{escape(label)}</span>'


def _link(href: str, text: str, css: str = "nv-button") -> str:
    return f'<a class="{css}" href="{escape(href)}">{escape(text)}</a>'


def render(slot: str, context: dict[str, Any]) -> str | None:
    """The HTML of ``slot`` for this page, or ``None``."""
    request = context.get("request")
    if request is None:
        return None
    user = context.get("user")
    if slot == "head":
        return f'<link rel="stylesheet" href="{STYLESHEET}">'
    if slot == "comment_meta" and context.get("comment") is not None:
        label = request.scope.get(BADGES, {}).get(context["comment"].author_id)
        return badge(label) if label else None
    if slot == "profile_header" and context.get("member") is not None:
        member = context["member"]
        member_id = int(member["id"] if isinstance(member, dict) else member.id)
        name = member["username"] if isinstance(member, dict) else member.username
        if user is not None and int(user.id) == member_id:
            if has_role(user, "creator"):
                return _link("/subscriptions/tiers", i18n.gettext("Your tiers"), "nv-link")
            return None
        if request.scope.get(PROFILE_TIERS, {}).get(member_id):
            return _link(f"/subscriptions/c/{name}", i18n.gettext("Subscribe"))
        return None
    if slot == "video_locked" and context.get("video") is not None:
        video = context["video"]
        creator = context.get("creator")
        if video.visibility != "subscribers" or not creator:
            return None
        text = i18n.gettext("Subscribe to watch")
        return f'<p class="nv-sub-teaser">{_link(f"/subscriptions/c/{creator}", text)}</p>'
    if slot == "upload_ready" and context.get("video") is not None:
        video = context["video"]
        if video.visibility != "subscribers" or user is None:
            return None
        hint = escape(i18n.gettext("Every tier may watch it until you pick a minimum tier."))
        link = _link("/subscriptions/tiers#videos", i18n.gettext("Pick its minimum tier"))
        return f'<p class="nv-sub-teaser">{hint}</p><p>{link}</p>'
    if slot == "settings_menu" and user is not None:
        links = [("/subscriptions/mine", i18n.gettext("Subscriptions"))]
        if has_role(user, "creator"):
            links.append(("/subscriptions/tiers", i18n.gettext("Your tiers")))
        return "".join(f'<a href="{href}">{escape(text)}</a>' for href, text in links)
    if slot == "upload_form" and user is not None and has_role(user, "creator"):
        text = i18n.gettext(
            "Subscribers-only videos are open to every tier; pick a higher minimum tier "
            "for each on your tiers page."
        )
        more = _link("/subscriptions/tiers#videos", i18n.gettext("Your tiers"), "nv-link")
        return f'<p class="nv-hint">{escape(text)} {more}</p>'
    return None
