"""Watch-history retention: watch events older than the setting are deleted, in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.feed.tables import WatchEvent
from nichevid.privacy.settings import privacy_settings

RETENTION_JOB = "privacy.watch_retention"


async def delete_old_watch_events(resources: Any, *, now: datetime | None = None) -> int:
    """Delete watch events older than ``watch_history_days``; return how many went.

    Each statement deletes at most ``retention_batch`` rows, so a first run on a big
    history never locks the table for long. ``0`` days keeps everything.
    """
    config = privacy_settings(resources.settings)
    if not config.watch_history_days:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=config.watch_history_days)
    total = 0
    while True:
        rows = (
            await WatchEvent.select(WatchEvent.id)
            .where(WatchEvent.created_at < cutoff)
            .limit(config.retention_batch)
            .run()
        )
        if not rows:
            return total
        await WatchEvent.delete().where(WatchEvent.id.is_in([r["id"] for r in rows])).run()
        total += len(rows)


async def retention_job(ctx: dict[str, Any]) -> str:
    """The cron job running :func:`delete_old_watch_events`."""
    return f"{await delete_old_watch_events(ctx['resources'])} watch event(s) deleted"
