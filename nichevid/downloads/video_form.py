"""The "Let viewers download it" box of the upload form and the video edit form.

The box is option ``downloads_offer`` (``1`` when ticked), sent with a hidden
``downloads_shown`` so that an unticked box, which browsers do not send, still says
no. Scripts may send ``downloads_offer`` alone (``1`` or ``0``) in an upload's
metadata; without either option the choice stays as it was.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid.accounts.services import has_role
from nichevid.downloads import services
from nichevid.i18n import gettext

OPTION = "downloads_offer"
SHOWN = "downloads_shown"
YES, NO = ("1", "on", "true", "yes"), ("", "0", "off", "false", "no")


async def fields(user: Any, video: Any, values: dict[str, str] | None = None) -> str | None:
    """The box on a creator's form, ticked as the video is (or as the form was sent)."""
    if user is None or not has_role(user, "creator"):
        return None
    ticked = video is not None and await services.is_offered(int(video.id))
    if values is not None and (OPTION in values or SHOWN in values):
        ticked = values.get(OPTION, "").strip().lower() in YES
    label = escape(gettext("Let viewers download this video"))
    hint = escape(
        gettext("They save it as an MP4 file from its page. You can always download your own.")
    )
    return (
        f'<input type="hidden" name="{SHOWN}" value="1">'
        f'<label class="nv-check"><input type="checkbox" id="{OPTION}" name="{OPTION}" value="1"'
        f'{" checked" if ticked else ""} aria-describedby="{OPTION}-hint"> {label}</label>'
        f'<p class="nv-hint" id="{OPTION}-hint">{hint}</p>'
    )


def _choice(options: dict[str, str]) -> bool | None:
    if OPTION in options:
        return options[OPTION].strip().lower() in YES
    return False if SHOWN in options else None


async def check(user: Any, video: Any, options: dict[str, str]) -> str | None:
    """Why the choice cannot be taken, or ``None``."""
    raw = options.get(OPTION)
    if raw is not None and raw.strip().lower() not in YES + NO:
        return gettext("Say 1 to let viewers download the video, or 0 not to.")
    return None


async def saved(video: Any, options: dict[str, str]) -> None:
    """Offer the video for download, or stop; leave it alone when the form had no box."""
    choice = _choice(options)
    if choice is not None:
        await services.offer(int(video.id), choice)
