"""What the social package puts into page slots, and how it reads their data in advance.

Slots render synchronously inside a template and cannot query the database, so the
data is read before rendering, once per page, and kept in the request scope:

* card counts and the viewer's likes and bookmarks: ``prepare_cards``, one statement
  for every card of the page;
* a profile's counts and first videos: ``prepare_profile``;
* the unread count of the nav badge: :class:`UnreadCount`, once per page request.

A slot whose data was not read renders without it (buttons without counts, no badge).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send
from markupsafe import escape

from nichevid import i18n
from nichevid.core.shared import alternative, is_shared
from nichevid.i18n import gettext
from nichevid.safety import services as safety
from nichevid.social import listing, notifications, services

STATES_KEY = "nichevid.social.states"
PROFILES_KEY = "nichevid.social.profiles"
UNREAD_KEY = "nichevid.social.unread"
# Requests that never render a page with the nav.
_NO_PAGE = ("/static/", "/media/", "/api/", "/uploads/", "/healthz", "/readyz", "/metrics")
_PEOPLE = (
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-8 '
    "0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm0 2c-2.33 0-7 1.17-7 3.5V19h14v-2.5C15 14.17 10.33 13 8 "
    '13zm8 0c-.29 0-.62.02-.97.05A4.2 4.2 0 0 1 17 16.5V19h6v-2.5c0-2.33-4.67-3.5-7-3.5z"/></svg>'
)
_BELL = (
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 '
    "2 2zm6-6v-5c0-3.07-1.64-5.64-4.5-6.32V4a1.5 1.5 0 0 0-3 0v.68C7.63 5.36 6 7.92 6 11v5l-2 "
    '2v1h16v-1l-2-2z"/></svg>'
)


def render(request: Any, template: str, **context: Any) -> str:
    """Render one of the social templates (with the app's theme and plugin lookup)."""
    env = request.app.template_engine.engine
    return str(env.get_template(template).render(**context))


async def prepare_cards(request: Any, cards: list[Any]) -> None:
    """Read the counts and the viewer's state of every card on the page, in one statement."""
    if cards:
        # A batch shared by every member shows nobody's likes: see personal_choices.
        viewer = None if is_shared(request) else request.scope.get("user")
        states = await services.video_states([card.id for card in cards], viewer)
        for video_id in await safety.likes_hidden(list(states)):
            states[video_id] = replace(states[video_id], likes_hidden=True)
        request.scope.setdefault(STATES_KEY, {}).update(states)


async def personal_choices(request: Any, video_ids: list[int]) -> dict[str, str] | None:
    """The pressed like and bookmark buttons of a shared batch that are the viewer's."""
    viewer = request.scope.get("user")
    if viewer is None or not video_ids:
        return None
    marks = await services.viewer_marks(video_ids, viewer)
    return {f"social.{mark}.{video_id}": "pressed" for video_id, mark in marks}


async def prepare_profile(request: Any, member: Any) -> None:
    """Read a profile's counts, the viewer's follow and the first page of its videos."""
    resources = request.app.state.resources
    stats = await services.profile_stats(member, request.scope.get("user"))
    hidden = await safety.hidden_from(request.scope.get("user"))
    grid = await listing.profile_grid(resources, member, hide=hidden.blocked)
    request.scope.setdefault(PROFILES_KEY, {})[member.id] = (stats, grid)


def video_actions(context: dict[str, Any]) -> str | None:
    """The like, bookmark and share buttons of one card."""
    request, video = context.get("request"), context.get("video")
    if request is None or video is None:
        return None
    states = request.scope.get(STATES_KEY)
    found = states.get(video.id) if states else None
    env = request.app.template_engine.engine
    member = request.scope.get("user") is not None
    counted = found is not None
    state = found or services.VideoState()

    def button(name: str, shown: services.VideoState) -> str:
        return _button(env, i18n.current(), name, video.slug, shown, counted, member)

    like, bookmark = button("like", state), button("bookmark", state)
    if is_shared(request) and member:
        # Every member gets these buttons unpressed; their own presses are put back in.
        liked, kept = replace(state, liked=True), replace(state, bookmarked=True)
        alternative(request, f"social.like.{video.id}", like, pressed=button("like", liked))
        alternative(
            request, f"social.bookmark.{video.id}", bookmark, pressed=button("bookmark", kept)
        )
    return "\n".join((like, bookmark, button("share", state)))


@lru_cache(maxsize=8192)
def _button(
    env: Any,
    language: str,
    name: str,
    slug: str,
    state: services.VideoState,
    counted: bool,
    member: bool,
) -> str:
    # A button shows only these, so a card seen on many pages (and by many members)
    # renders once per language and count; a new count is a new key.
    template = env.get_template(f"social/_{name}.html")
    return str(template.render(slug=slug, state=state, counted=counted, viewer=member))


def nav(context: dict[str, Any]) -> str | None:
    """The Following link and the notifications bell with its unread badge."""
    request, user = context.get("request"), context.get("user")
    if user is None:
        return None
    unread = request.scope.get(UNREAD_KEY, 0) if request is not None else 0
    badge = ""
    if unread:
        shown = "99+" if unread > 99 else str(unread)
        unread_word = escape(gettext("unread"))
        badge = (
            f'<span class="nv-badge">{shown}'
            f'<span class="visually-hidden"> {unread_word}</span></span>'
        )
    # Outside the f-strings, where pybabel finds them.
    following, bell = escape(gettext("Following")), escape(gettext("Notifications"))
    return (
        f'<a class="nv-nav-following" href="/following">{_PEOPLE}'
        f'<span class="nv-nav-label">{following}</span></a>'
        f'<a class="nv-nav-bell" href="/notifications">{_BELL}'
        f'<span class="visually-hidden">{bell}</span>{badge}</a>'
    )


def profile(slot: str, context: dict[str, Any]) -> str | None:
    """A profile's counts and follow button (``profile_header``) or videos (``profile_content``)."""
    request, member = context.get("request"), context.get("member")
    if request is None or not member:
        return None
    prepared = request.scope.get(PROFILES_KEY, {}).get(member["id"])
    if prepared is None:
        return None
    stats, (items, cursor) = prepared
    username = str(escape(member["username"]))
    if slot == "profile_header":
        return render(
            request,
            "social/_profile_stats.html",
            stats=stats,
            username=username,
            member_id=member["id"],
            viewer=request.scope.get("user"),
        )
    return render(
        request,
        "social/_grid.html",
        items=items,
        cursor=cursor,
        more_url=f"/u/{username}/videos",
        empty=gettext("No videos yet."),
    )


class UnreadCount:
    """ASGI middleware: the signed-in viewer's unread count, read once per page request.

    It runs after the accounts middleware has set ``scope["user"]``, and skips the
    requests that never show the nav (the API, media, htmx fragments).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("user") is not None
            and not scope["path"].startswith(_NO_PAGE)
            and _wants_page(scope)
        ):
            scope[UNREAD_KEY] = await notifications.unread_count(scope["user"])  # type: ignore[literal-required]
        await self.app(scope, receive, send)


def _wants_page(scope: Scope) -> bool:
    # htmx asks for fragments, which carry no nav.
    return all(name != b"hx-request" for name, _ in scope["headers"])
