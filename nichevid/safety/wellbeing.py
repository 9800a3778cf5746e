"""Time in the feed, for the daily limit, and the notices' settings for one viewer.

Time is what the feed's own watch events report (``watched_ms``, summed by the
``viewer_signals`` hook for signed-in members), kept per member and UTC day; the
page adds what it counts itself while it is visible until its next events are sent.
Only members have a daily limit: a visitor's time is not kept anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.safety.prefs import prefs_of
from nichevid.safety.settings import safety_settings
from nichevid.safety.tables import ScreenTime

_TIME = ScreenTime._meta.tablename
# One report adds at most a day: a damaged or forged event cannot push the total past reason.
_MAX_ADD_MS = 86_400_000


def today() -> str:
    """The current UTC day, as screen time is kept."""
    return datetime.now(UTC).strftime("%Y-%m-%d")


async def add_watched(member_id: int, watched_ms: int, day: str | None = None) -> None:
    """Add ``watched_ms`` to ``member_id``'s time on ``day`` (today, UTC)."""
    if watched_ms <= 0:
        return
    await ScreenTime.raw(
        f"INSERT INTO {_TIME} (member, day, watched_ms) VALUES ({{}}, {{}}, {{}}) "  # noqa: S608
        f"ON CONFLICT (member, day) DO UPDATE SET watched_ms = {_TIME}.watched_ms + "
        "excluded.watched_ms",
        member_id,
        day or today(),
        min(watched_ms, _MAX_ADD_MS),
    )


async def watched_today(member: Any) -> int:
    """Milliseconds ``member`` watched today (UTC)."""
    member_id = int(member if isinstance(member, int) else member.id)
    row = (
        await ScreenTime.select(ScreenTime.watched_ms)
        .where((ScreenTime.member == member_id) & (ScreenTime.day == today()))
        .first()
    )
    return int(row["watched_ms"]) if row else 0


@dataclass(frozen=True)
class Notices:
    """When the feed shows its notices, in seconds (0: never)."""

    break_seconds: int
    limit_seconds: int
    used_seconds: int


async def notices_for(settings: Any, viewer: Any) -> Notices:
    """The notices of ``viewer`` (``None``: a visitor, who gets the break reminder only)."""
    defaults = safety_settings(settings)
    break_minutes: float = defaults.break_reminder_minutes
    limit_minutes: float = defaults.daily_limit_minutes
    if viewer is None:
        return Notices(_seconds(break_minutes), 0, 0)
    prefs = await prefs_of(viewer)
    if prefs.break_minutes is not None:
        break_minutes = prefs.break_minutes
    if prefs.daily_limit_minutes is not None:
        limit_minutes = prefs.daily_limit_minutes
    used = await watched_today(viewer) // 1000 if limit_minutes else 0
    return Notices(_seconds(break_minutes), _seconds(limit_minutes), used)


def _seconds(minutes: float) -> int:
    # A fraction of a minute (a test instance's 0.05) still gives a notice, never "off".
    return max(1, round(minutes * 60)) if minutes > 0 else 0


async def delete_member(member: Any) -> None:
    """Remove ``member``'s screen time."""
    member_id = int(member if isinstance(member, int) else member.id)
    await ScreenTime.delete().where(ScreenTime.member == member_id)
