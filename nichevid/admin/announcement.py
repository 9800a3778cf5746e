"""One announcement from the operators, shown on every page until it ends or is closed.

Admins write it at ``/admin/announcement``: up to :data:`TEXT_MAX` characters, an
optional link (a web address or a path of the site) and how many days it shows (or
until removed). It is kept in the instance's ``admin`` store (Redis in the
production shape), so every web process shows it; each reads it at most every
:data:`REFRESH_SECONDS`. A viewer who closes it does not see it again on that browser;
a new announcement shows again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

from nichevid.i18n import gettext

log = logging.getLogger("nichevid.admin")

STORE = "admin"
KEY = "announcement"
TEXT_MAX = 280
LINK_MAX = 500
DAYS = (1, 3, 7, 30, 0)  # 0: until removed
REFRESH_SECONDS = 30.0
_CACHE = "admin.announcement"


class AnnouncementError(ValueError):
    """A refused announcement: the message says what to change."""


@dataclass(frozen=True)
class Announcement:
    """The announcement shown: ``id`` changes with every new one."""

    id: int
    text: str
    link: str = ""


def check(text: str, link: str, days: str) -> tuple[str, str, int]:
    """The text, link and days as stored, or :class:`AnnouncementError` saying what to fix."""
    text = " ".join(text.split())
    link = link.strip()
    if not text:
        raise AnnouncementError(gettext("Write the announcement, or remove it."))
    if len(text) > TEXT_MAX:
        raise AnnouncementError(
            gettext("Announcements have at most %(max)s characters.", max=TEXT_MAX)
        )
    if link and (
        len(link) > LINK_MAX
        or not (link.startswith(("https://", "http://")) or link.startswith("/"))
        or link.startswith("//")
        or any(ch.isspace() for ch in link)
    ):
        raise AnnouncementError(
            gettext("The link must be a web address (https://…) or a page of this site (/…).")
        )
    if not days.isdigit() or int(days) not in DAYS:
        raise AnnouncementError(
            gettext("Choose how long it shows: 1, 3, 7 or 30 days, or until removed.")
        )
    return text, link, int(days)


async def publish(app: Any, text: str, link: str, days: str) -> Announcement:
    """Show a new announcement (replacing the one shown).

    Raises:
        AnnouncementError: For bad input; the one shown stays.
    """
    text, link, kept = check(text, link, days)
    found = Announcement(id=time.time_ns() // 1_000_000, text=text, link=link)
    await app.stores.get(STORE).set(
        KEY, json.dumps(asdict(found)), expires_in=kept * 86400 if kept else None
    )
    _keep(app, found)
    return found


async def remove(app: Any) -> None:
    """Stop showing the announcement."""
    await app.stores.get(STORE).delete(KEY)
    _keep(app, None)


async def current(app: Any) -> Announcement | None:
    """The announcement in the store, if one shows."""
    raw = await app.stores.get(STORE).get(KEY)
    if raw is None:
        return None
    try:
        return Announcement(**json.loads(raw))
    except (TypeError, ValueError):
        log.warning("the stored announcement is unreadable; none is shown")
        return None


def _keep(app: Any, found: Announcement | None) -> None:
    app.state.resources.extra[_CACHE] = (time.monotonic(), found)


def shown(app: Any) -> Announcement | None:
    """What this process shows now (read from the store in the background)."""
    kept = app.state.resources.extra.get(_CACHE)
    return None if kept is None else kept[1]


@contextlib.asynccontextmanager
async def refreshing(app: Any) -> AsyncIterator[None]:
    """Lifespan: read the announcement now and every :data:`REFRESH_SECONDS`."""

    async def loop() -> None:
        while True:
            try:
                _keep(app, await current(app))
            except Exception:  # a store that does not answer keeps what was shown
                log.exception("could not read the announcement")
            await asyncio.sleep(REFRESH_SECONDS)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
