"""The minimum tier of a video, chosen on the upload form and the video edit form.

The core's ``video_form_fields`` hook shows a "Minimum tier" choice (option
``subscriptions_tier``: a tier id, or empty for every tier), ``video_options_check``
refuses what cannot be honoured, and ``video_options_saved`` stores the choice.

Rules: a subscribers-only video needs at least one tier on offer; the tier must be one
of the creator's own tiers on offer. A video whose minimum tier was retired since keeps
it while the creator leaves it unchanged (its subscribers still watch), but a retired
tier cannot be chosen anew. A choice made for a video that is not subscribers-only is
kept and applies once it becomes subscribers-only.
"""

from __future__ import annotations

import logging
from typing import Any

from markupsafe import escape

from nichevid import i18n
from nichevid.accounts.services import has_role
from nichevid_subscriptions import access
from nichevid_subscriptions.tables import Tier
from nichevid_subscriptions.tiers import get_tier, tiers_of

log = logging.getLogger("nichevid.subscriptions")

OPTION = "subscriptions_tier"


async def _current(video: Any) -> int | None:
    """The id of the video's minimum tier, or ``None`` (every tier, or no video yet)."""
    if video is None:
        return None
    return (await access.video_tiers([int(video.id)])).get(int(video.id))


async def fields(user: Any, video: Any, values: dict[str, str] | None = None) -> str | None:
    """The "Minimum tier" field of a creator's upload or edit form.

    It shows the video's minimum tier, or the one posted (``values``) when the edit
    form comes back after a refusal.
    """
    if user is None or not has_role(user, "creator"):
        return None
    live = await tiers_of(int(user.id))
    current = stored = await _current(video)
    if values is not None and OPTION in values:
        raw = values[OPTION].strip()
        current = int(raw) if raw.isdigit() and len(raw) < 12 else None
    label = escape(i18n.gettext("Minimum tier (subscribers-only videos)"))
    if not live and stored is None:
        text = escape(
            i18n.gettext(
                "You offer no subscription tiers yet: create one before posting a "
                "subscribers-only video."
            )
        )
        link = escape(i18n.gettext("Your tiers"))
        more = f'<a class="nv-link" href="/subscriptions/tiers">{link}</a>'
        return f'<p class="nv-hint">{text} {more}</p>'
    choices = [("", i18n.gettext("Every tier"), current is None)]
    for tier in live:
        choices.append((str(tier.id), f"{tier.level}. {tier.name}", tier.id == current))
    if stored is not None and all(tier.id != stored for tier in live):
        # The video keeps its retired tier while the creator leaves it unchanged.
        kept = await get_tier(stored)
        if kept is not None:
            name = i18n.gettext("%(name)s (retired)", name=f"{kept.level}. {kept.name}")
            choices.append((str(kept.id), name, kept.id == current))
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if chosen else ""}>{escape(text)}</option>'
        for value, text, chosen in choices
    )
    hint = escape(
        i18n.gettext(
            "Subscribers of this tier and higher ones watch; it applies to subscribers-only videos."
        )
    )
    return (
        f'<label for="{OPTION}">{label}</label>'
        f'<select id="{OPTION}" name="{OPTION}" aria-describedby="{OPTION}-hint">{options}</select>'
        f'<p class="nv-hint" id="{OPTION}-hint">{hint}</p>'
    )


async def check(user: Any, video: Any, visibility: str, options: dict[str, str]) -> str | None:
    """Why the tier chosen (or the lack of tiers) cannot be honoured, or ``None``."""
    if user is None:
        return None
    live = await tiers_of(int(user.id))
    if visibility == "subscribers" and not live:
        return i18n.gettext(
            "You offer no subscription tiers yet: create one under Your tiers "
            "(/subscriptions/tiers) first, or choose another audience."
        )
    raw = options.get(OPTION, "").strip()
    if not raw:
        return None
    tier = await get_tier(int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if tier is None or int(tier.creator) != int(user.id):
        return i18n.gettext("Choose one of your tiers on offer as the minimum tier, or every tier.")
    if tier.retired and tier.id != await _current(video):
        return i18n.gettext(
            "The tier %(name)s is retired; choose one of your tiers on offer, or every tier.",
            name=tier.name,
        )
    return None


async def saved(video: Any, options: dict[str, str]) -> None:
    """Store the minimum tier chosen; leave it alone when the form had no such field."""
    if OPTION not in options:
        return
    raw = options[OPTION].strip()
    owner = int(video.owner if isinstance(video.owner, int) else video.owner.id)
    tier: Tier | None = None
    if raw:
        tier = await get_tier(int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if tier is None or int(tier.creator) != owner:
            # Checked when the upload started; the tier went (erased) in between.
            log.warning("video %s: minimum tier %r is gone; every tier may watch", video.id, raw)
            tier = None
    await access.set_video_tier(video, tier)
