"""Playlists as a plugin of the core: the tables, the pages, the API, the profile row and
the part of a playlist each card shows."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid.i18n import gettext
from nichevid.plugins import hookimpl
from nichevid.settings import Settings

# Where the prepare hooks leave what the slots show, in the request scope.
PARTS_KEY = "nichevid.playlists.parts"
PROFILE_KEY = "nichevid.playlists.profile"
_ICON = (
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6h12v2H3zm0 5h12v2H3zm0 5h8v2H3zm14-'
    '5v8l6-4z"/></svg>'
)


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.playlists.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.playlists.api import PlaylistApi
    from nichevid.playlists.routes import PlaylistPages, StudioPlaylists

    return [PlaylistPages, StudioPlaylists, PlaylistApi]


@hookimpl
async def video_form_fields(
    request: Any, user: Any, video: Any, values: dict[str, str] | None
) -> str | None:
    from nichevid.playlists import video_form

    return await video_form.fields(user, video, values)


@hookimpl
async def video_options_check(user: Any, video: Any, options: dict[str, str]) -> str | None:
    from nichevid.playlists import video_form

    return await video_form.check(user, video, options)


@hookimpl
async def video_options_saved(video: Any, options: dict[str, str]) -> None:
    from nichevid.playlists import video_form

    await video_form.saved(video, options)


@hookimpl
async def prepare_cards(request: Any, cards: list[Any]) -> None:
    """Read which part of which playlist every card on the page is, in one statement."""
    from nichevid.playlists.reading import parts_of

    if cards:
        request.scope.setdefault(PARTS_KEY, {}).update(await parts_of([c.id for c in cards]))


@hookimpl
async def prepare_profile(request: Any, member: Any) -> None:
    from nichevid.playlists.reading import playlists_of

    found = [p for p in await playlists_of(int(member.id)) if p.videos]
    request.scope.setdefault(PROFILE_KEY, {})[int(member.id)] = found


def _chip(part: Any) -> str:
    title = escape(part.title)
    # Outside the f-string, where pybabel finds it.
    which = escape(gettext("Part %(part)s of %(parts)s", part=part.part, parts=part.parts))
    label = escape(gettext("Playlist"))
    return (
        f'<a class="nv-card-playlist" href="{escape(part.url)}" data-nv-action>{_ICON}'
        f'<span class="visually-hidden">{label}: </span><span>{title}</span>'
        f'<span class="nv-card-playlist-part">· {which}</span></a>'
    )


def _next(part: Any) -> str:
    if not part.next_slug:
        return ""
    text = escape(gettext("Next in “%(title)s”", title=part.title))
    return (
        f'<p class="nv-playlist-next"><a class="nv-button" href="/v/{escape(part.next_slug)}">'
        f"{text}</a></p>"
    )


def _profile_row(request: Any, member: dict[str, Any]) -> str | None:
    found = request.scope.get(PROFILE_KEY, {}).get(member["id"])
    if not found:
        return None
    env = request.app.template_engine.engine
    return str(env.get_template("playlists/_row.html").render(playlists=found))


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    request, video = context.get("request"), context.get("video")
    if slot in ("video_overlay", "video_page") and request is not None and video is not None:
        part = request.scope.get(PARTS_KEY, {}).get(video.id)
        if part is None:
            return None
        return _chip(part) if slot == "video_overlay" else _next(part)
    if slot == "profile_content" and request is not None and context.get("member"):
        return _profile_row(request, context["member"])
    return None
