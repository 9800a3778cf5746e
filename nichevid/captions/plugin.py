"""Captions as a plugin of the core: the table, the API, the owner's page and the tracks.

Feed cards get their tracks in ``prepare_cards``, for the whole page in one query; the
card partial renders them as ``<track>`` elements and shows the CC button.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import escape

from nichevid.i18n import gettext
from nichevid.plugins import hookimpl
from nichevid.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.captions.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.captions.api import CaptionApi
    from nichevid.captions.pages import CaptionPages

    return [CaptionApi, CaptionPages]


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid.captions.settings import SECTION, CaptionSettings

    return {SECTION: CaptionSettings}


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
async def prepare_cards(request: Any, cards: list[Any]) -> None:
    """Read the tracks of every card on the page in one query and hand them to the cards."""
    from nichevid.captions.services import card_tracks

    with_tracks = [card for card in cards if isinstance(getattr(card, "tracks", None), list)]
    if not with_tracks:
        return
    ids = [card.id for card in with_tracks]
    found = await card_tracks(request.app.state.resources, ids, request.scope.get("user"))
    for card in with_tracks:
        card.tracks[:] = found.get(card.id, [])


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    video, user = context.get("video"), context.get("user")
    if slot not in ("video_page", "upload_ready") or video is None or user is None:
        return None
    if slot == "upload_ready":
        # The status panel is its owner's only: a link to the captions page.
        link = escape(gettext("Add captions"))
        return f'<p><a href="/v/{escape(video.slug)}/captions">{link}</a></p>'
    if getattr(user, "username", None) != getattr(video, "username", None):
        return None
    # The owner manages the tracks below the video; the panel loads once the page is up.
    slug = escape(video.slug)
    link = escape(gettext("Add or change captions"))
    return (
        f'<section class="nv-captions-panel" id="captions" hx-get="/v/{slug}/captions" '
        f'hx-trigger="load" hx-swap="innerHTML"><p><a href="/v/{slug}/captions">{link}</a>'
        "</p></section>"
    )
