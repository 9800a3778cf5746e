"""Product links on the upload form and the video edit form.

The fields are ``affiliates_label_<n>`` and ``affiliates_url_<n>`` for ``n`` from 1 to
``max_links_per_video``. When a form carries them, the links it holds replace the
video's links (empty rows left out, so clearing every row removes them all); a form
without them leaves the stored links alone. ``video_options_check`` refuses bad links
before anything is stored, so a refused edit loses nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from markupsafe import escape

from nichevid import i18n
from nichevid_affiliates import links
from nichevid_affiliates.checks import MAX_LABEL, MAX_URL, LinkInput, check_links
from nichevid_affiliates.errors import AffiliateError
from nichevid_affiliates.settings import AffiliateSettings, affiliate_settings

log = logging.getLogger("nichevid.affiliates")

PREFIX = "affiliates_"
FIELD = re.compile(r"^affiliates_(label|url)_(\d{1,2})$")


def _config(source: Any) -> AffiliateSettings:
    settings = getattr(source, "settings", None)
    if settings is None:
        settings = source.app.state.settings
    return affiliate_settings(settings)


def has_fields(options: dict[str, str]) -> bool:
    """Whether the form showed the link fields."""
    return any(FIELD.match(name) for name in options)


def pairs_of(options: dict[str, str], most: int) -> list[tuple[str, str]]:
    """The ``(label, url)`` rows posted, in order.

    Raises:
        AffiliateError: A row past ``most`` that is not empty.
    """
    rows: dict[int, dict[str, str]] = {}
    for name, value in options.items():
        match = FIELD.match(name)
        if match:
            rows.setdefault(int(match.group(2)), {})[match.group(1)] = value
    extra = [
        n for n, row in rows.items() if (n < 1 or n > most) and any(v.strip() for v in row.values())
    ]
    if extra:
        raise AffiliateError(
            i18n.gettext("A video takes at most %(max)s product links; remove some.", max=most)
        )
    return [
        (rows.get(n, {}).get("label", ""), rows.get(n, {}).get("url", ""))
        for n in range(1, most + 1)
    ]


def parse(config: AffiliateSettings, options: dict[str, str]) -> list[LinkInput]:
    """The checked links of a form's options.

    Raises:
        AffiliateError: What to change.
    """
    return check_links(config, pairs_of(options, config.max_links_per_video))


async def fields(
    request: Any, user: Any, video: Any, values: dict[str, str] | None = None
) -> str | None:
    """The product link rows of an upload or edit form: stored links, or those posted
    when the edit form comes back after a refusal."""
    if user is None:
        return None
    config = _config(request.app.state.resources)
    most = config.max_links_per_video
    if values is not None and has_fields(values):
        rows = [
            (values.get(f"{PREFIX}label_{n}", ""), values.get(f"{PREFIX}url_{n}", ""))
            for n in range(1, most + 1)
        ]
    else:
        rows = await links.stored_for(int(video.id)) if video is not None else []
    rows = (rows + [("", "")] * most)[:most]
    legend = escape(i18n.gettext("Product links (affiliate links)"))
    hint = escape(
        i18n.gettext(
            "Up to %(max)s links to products shown in the video. Viewers see them marked as "
            "affiliate links; you earn a commission on sales the shop reports. Clear a row "
            "to remove its link.",
            max=most,
        )
    )
    parts = []
    for n, (label, url) in enumerate(rows, start=1):
        label_id, url_id = f"{PREFIX}label_{n}", f"{PREFIX}url_{n}"
        label_text = i18n.gettext("Label of link %(n)s", n=n)
        url_text = i18n.gettext("Address of link %(n)s (https://...)", n=n)
        parts.append(
            '<div class="nv-aff-row">'
            f'<label for="{label_id}">{escape(label_text)}</label>'
            f'<input id="{label_id}" name="{label_id}" value="{escape(label)}" '
            f'maxlength="{MAX_LABEL}" autocomplete="off">'
            f'<label for="{url_id}">{escape(url_text)}</label>'
            f'<input id="{url_id}" name="{url_id}" type="url" value="{escape(url)}" '
            f'maxlength="{MAX_URL}" inputmode="url" autocomplete="off">'
            "</div>"
        )
    return (
        '<fieldset class="nv-aff-fields" aria-describedby="affiliates-hint">'
        f"<legend>{legend}</legend>"
        f'<p class="nv-hint" id="affiliates-hint">{hint}</p>{"".join(parts)}</fieldset>'
    )


async def check(resources: Any, user: Any, video: Any, options: dict[str, str]) -> str | None:
    """Why the links posted cannot be taken, or ``None``."""
    if user is None or not has_fields(options):
        return None
    try:
        parse(_config(resources), options)
    except AffiliateError as exc:
        return exc.message
    return None


async def saved(resources: Any, video: Any, options: dict[str, str]) -> None:
    """Store the links posted; leave them alone when the form had no link fields."""
    if not has_fields(options):
        return
    try:
        wanted = parse(_config(resources), options)
    except AffiliateError as exc:
        # Checked when the upload started; the operator's rules changed in between.
        log.warning("video %s: product links not saved: %s", video.id, exc.message)
        return
    await links.replace(video, wanted)
