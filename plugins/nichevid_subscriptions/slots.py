"""The plugin's parts of pages: badges on comments, subscribe links, the locked teaser.

Slots render synchronously, so what they show per comment or profile is read first
in ``prepare_comments`` and ``prepare_profile`` and kept in ``request.scope``.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid import i18n
from nichevid.accounts.services import has_role
from nichevid_subscriptions import access, services
from nichevid_subscriptions.tiers import tiers_of

BADGES = "nichevid_subscriptions.badges"
PROFILE_TIERS = "nichevid_subscriptions.profile_tiers"
PROFILE_VIDEOS = "nichevid_subscriptions.profile_videos"
# Subscribers-only videos listed on a creator's profile, newest first.
PROFILE_VIDEOS_SHOWN = 24
STYLESHEET = "/static/plugins/subscriptions/subscriptions.css"


async def prepare_comments(request: Any, video: Any, author_ids: list[int]) -> None:
    """Read the badges of the authors subscribed to the video's creator, in one query."""
    owner = int(video.owner if isinstance(video.owner, int) else video.owner.id)
    request.scope[BADGES] = await services.badges(owner, author_ids)


async def prepare_profile(request: Any, member: Any) -> None:
    """Whether the profile's member offers tiers (for the subscribe link), and their
    subscribers-only videos with whether the viewer may watch each."""
    request.scope.setdefault(PROFILE_TIERS, {})[int(member.id)] = len(await tiers_of(member.id))
    request.scope.setdefault(PROFILE_VIDEOS, {})[int(member.id)] = await access.profile_videos(
        int(member.id), request.scope.get("user"), PROFILE_VIDEOS_SHOWN
    )


def badge(label: str) -> str:
    """The HTML of a subscriber badge."""
    title = escape(i18n.gettext("Subscriber"))
    return f'<span class="nv-sub-badge" title="{title}">{escape(label)}</span>'


def _link(href: str, text: str, css: str = "nv-button") -> str:
    return f'<a class="{css}" href="{escape(href)}">{escape(text)}</a>'


def _profile_videos(request: Any, member: Any) -> str | None:
    """The creator's subscribers-only videos: a link to each the viewer may watch, a lock
    and the way to subscribe on the others. No media: covers are for subscribers only."""
    member_id = int(member["id"] if isinstance(member, dict) else member.id)
    name = member["username"] if isinstance(member, dict) else member.username
    listed = request.scope.get(PROFILE_VIDEOS, {}).get(member_id)
    if not listed:
        return None
    title = escape(i18n.gettext("Subscribers-only videos"))
    locked = escape(i18n.gettext("Subscribers only"))
    items = []
    for item in listed:
        caption = escape(item.caption or i18n.gettext("Untitled video"))
        mark = "" if item.open else f' <span class="nv-sub-lock">{locked}</span>'
        items.append(f'<li><a href="/v/{escape(item.slug)}">{caption}</a>{mark}</li>')
    more = ""
    if not all(item.open for item in listed):
        more = _link(f"/subscriptions/c/{name}", i18n.gettext("Subscribe to watch"))
    return (
        f'<section class="nv-sub-videos" aria-labelledby="nv-sub-videos-title">'
        f'<h2 id="nv-sub-videos-title">{title}</h2><ul>{"".join(items)}</ul>{more}</section>'
    )


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
    if slot == "profile_content" and context.get("member") is not None:
        return _profile_videos(request, context["member"])
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
        link = _link(f"/upload/edit/{video.slug}", i18n.gettext("Change its minimum tier"))
        return f"<p>{link}</p>"
    if slot == "settings_menu" and user is not None:
        links = [("/subscriptions/mine", i18n.gettext("Subscriptions"))]
        if has_role(user, "creator"):
            links.append(("/subscriptions/tiers", i18n.gettext("Your tiers")))
        return "".join(f'<a href="{href}">{escape(text)}</a>' for href, text in links)
    return None
