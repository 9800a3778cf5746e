"""The playlist of a video, chosen on the upload form and the video edit form.

The core's ``video_form_fields`` hook shows a "Playlist" choice (option
``playlists_playlist``: a playlist id, or empty for none) to creators who have a
playlist, ``video_options_check`` refuses another member's or a full playlist, and
``video_options_saved`` puts the video at the end of the one chosen (out of the one it
was in), or takes it out when none is chosen.
"""

from __future__ import annotations

import logging
from typing import Any

from markupsafe import escape

from nichevid.accounts.services import has_role
from nichevid.i18n import gettext
from nichevid.playlists import reading, services
from nichevid.playlists.services import PlaylistError
from nichevid.playlists.tables import Playlist, PlaylistItem

log = logging.getLogger("nichevid.playlists")

OPTION = "playlists_playlist"


def _chosen(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


async def fields(user: Any, video: Any, values: dict[str, str] | None = None) -> str | None:
    """The "Playlist" field of a creator's upload or edit form (none without a playlist)."""
    if user is None or not has_role(user, "creator"):
        return None
    found = await reading.playlists_of(int(user.id))
    if not found:
        return None
    current = None if video is None else await reading.playlist_of_video(int(video.id))
    if values is not None and OPTION in values:
        current = _chosen(values[OPTION])
    choices = [("", gettext("None"), current is None)]
    choices += [(str(p.id), p.title, p.id == current) for p in found]
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if chosen else ""}>{escape(text)}</option>'
        for value, text, chosen in choices
    )
    label = escape(gettext("Playlist"))
    hint = escape(gettext("It comes last in the playlist; reorder it in your studio."))
    return (
        f'<label for="{OPTION}">{label}</label>'
        f'<select id="{OPTION}" name="{OPTION}" aria-describedby="{OPTION}-hint">{options}</select>'
        f'<p class="nv-hint" id="{OPTION}-hint">{hint}</p>'
    )


async def check(user: Any, video: Any, options: dict[str, str]) -> str | None:
    """Why the playlist chosen cannot take the video, or ``None``."""
    raw = options.get(OPTION, "").strip()
    if user is None or not raw:
        return None
    chosen = _chosen(raw)
    playlist = (
        None if chosen is None else await Playlist.objects().where(Playlist.id == chosen).first()
    )
    if playlist is None or int(playlist.owner) != int(user.id):
        return gettext("Choose one of your playlists, or none.")
    if video is not None and await reading.playlist_of_video(int(video.id)) == chosen:
        return None
    held = await PlaylistItem.count().where(PlaylistItem.playlist == chosen)
    if held >= services.VIDEOS_PER_PLAYLIST:
        return services.full()
    return None


async def saved(video: Any, options: dict[str, str]) -> None:
    """Put the video in the playlist chosen; leave it alone when the form had no such field."""
    if OPTION not in options:
        return
    try:
        await services.place_video(video, _chosen(options[OPTION]))
    except PlaylistError as exc:
        # Checked when the form was sent; the playlist went or filled up in between.
        log.warning("video %s: not placed in playlist %r: %s", video.id, options[OPTION], exc)
