"""Checks shared by campaigns and challenges: texts, links, dates."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from nichevid.i18n import gettext
from nichevid_ads.errors import AdError

URL_MAX = 2000


def text(value: str, most: int, what: str, *, required: bool = True) -> str:
    """``value`` stripped; refused when empty (if ``required``) or longer than ``most``."""
    value = value.strip()
    if required and not value:
        raise AdError(gettext("Fill in %(what)s.", what=what))
    if len(value) > most:
        raise AdError(gettext("%(what)s takes at most %(most)s characters.", what=what, most=most))
    return value


def link(value: str, *, required: bool = True) -> str:
    """An ``https://`` address a browser may be sent to, or ``""`` when allowed."""
    value = value.strip()
    if not value and not required:
        return ""
    parts = urlsplit(value)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.username
        or parts.password
        or any(c.isspace() for c in value)
        or len(value) > URL_MAX
    ):
        raise AdError(
            gettext(
                "Give the link as a full https:// address of at most %(most)s characters, "
                "without spaces or a user name.",
                most=URL_MAX,
            )
        )
    return value


def day(value: str, what: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise AdError(gettext("%(what)s is a date like 2026-12-31.", what=what)) from None


def dates(starts: str, ends: str, today: date, *, new: bool) -> tuple[date, date]:
    """A first and last day, the last not before the first nor, for new ones, in the past."""
    first = day(starts, gettext("The first day"))
    last = day(ends, gettext("The last day"))
    if last < first:
        raise AdError(gettext("The last day comes before the first day; swap them."))
    if new and last < today:
        raise AdError(gettext("The last day is in the past; choose a day from today on."))
    return first, last
