"""Scheduled publishing: a creator picks when a video goes out.

A video with ``publish_at`` in the future that finishes processing (or is released by
a reviewer) becomes ``scheduled`` instead of ``ready``: every listing, page and feed
shows only ready videos, so nobody but its owner sees it. The
``media.publish_scheduled`` job publishes the videos whose time has come every
minute, exactly as if they had just become ready (``published_at`` set,
``video_ready`` fired once).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.i18n import gettext
from nichevid.jobs import CronJob
from nichevid.media.tables import Video
from nichevid.plugins import notify

log = logging.getLogger("nichevid.media")

PUBLISH_JOB = "media.publish_scheduled"
MAX_AHEAD = timedelta(days=366)
# A date and time as a ``datetime-local`` field sends it, seconds optional.
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


class ScheduleError(ValueError):
    """A publishing time that cannot be used; the message says what to give instead."""


def parse_publish_at(
    text: str | None, utc_offset: str | None = None, now: datetime | None = None
) -> datetime | None:
    """The publishing time a form or the API gives, or ``None`` for "when ready".

    ``text`` is ISO 8601 with a zone (``2026-12-24T18:00:00Z``, ``...+01:00``), or a
    ``datetime-local`` value (``2026-12-24T18:00``) read at ``utc_offset`` minutes
    behind UTC (what a browser's ``getTimezoneOffset()`` gives; none means UTC).

    Raises:
        ScheduleError: Anything else, a time that has passed, or one over a year ahead.
    """
    text = (text or "").strip()
    if not text:
        return None
    example = "2026-12-24T18:00"
    try:
        if _LOCAL.match(text):
            offset = int(utc_offset) if utc_offset not in (None, "") else 0
            if not -24 * 60 <= offset <= 24 * 60:
                raise ValueError(offset)
            when = datetime.fromisoformat(text).replace(tzinfo=UTC) + timedelta(minutes=offset)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                raise ValueError(text)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ScheduleError(
            gettext(
                "Give the publishing time as a date and time, for example %(example)s.",
                example=example,
            )
        ) from exc
    now = now or datetime.now(UTC)
    when = when.astimezone(UTC)
    if when <= now:
        raise ScheduleError(
            gettext(
                "That publishing time has passed: choose a time in the future, or leave it "
                "empty to publish as soon as the video is ready."
            )
        )
    if when > now + MAX_AHEAD:
        raise ScheduleError(gettext("Videos can be scheduled at most a year ahead."))
    return when


def is_pending(publish_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a video with this ``publish_at`` should still wait."""
    return publish_at is not None and publish_at > (now or datetime.now(UTC))


async def publish(pm: Any, video_id: int, now: datetime | None = None) -> bool:
    """Publish a scheduled video now; whether this call did (it happens once)."""
    now = now or datetime.now(UTC)
    done = (
        await Video.update({Video.status: "ready", Video.published_at: now})
        .where((Video.id == video_id) & (Video.status == "scheduled"))
        .returning(Video.id)
    )
    if not done:
        return False
    if pm is not None:
        await notify(pm, "video_ready", video=await Video.objects().get(Video.id == video_id))
    return True


async def publish_due(pm: Any, now: datetime | None = None) -> int:
    """Publish every scheduled video whose time has come; how many were published."""
    now = now or datetime.now(UTC)
    due = await Video.select(Video.id, Video.slug).where(
        (Video.status == "scheduled") & (Video.publish_at <= now)
    )
    published = 0
    for row in due:
        if await publish(pm, int(row["id"]), now):
            published += 1
            log.info("video %s published as scheduled", row["slug"])
    return published


async def publish_scheduled(ctx: dict[str, Any]) -> int:
    """Job ``media.publish_scheduled``: publish what is due."""
    return await publish_due(ctx["resources"].pm)


def check_schedulable(video: Video, when: datetime | None) -> None:
    """Refuse a publishing time for a video published already (clearing one is fine).

    Raises:
        ScheduleError: Saying what to do instead.
    """
    if when is not None and (video.status == "ready" or video.published_at is not None):
        raise ScheduleError(
            gettext(
                "This video is published already; change who can watch it instead, "
                "or make it private."
            )
        )


async def set_schedule(pm: Any, video: Video, when: datetime | None) -> Video:
    """Set (or with ``None`` clear) when ``video`` is published.

    A scheduled video whose time is cleared is published now.

    Raises:
        ScheduleError: The video is published already (and ``when`` is a time).
    """
    check_schedulable(video, when)
    if video.status == "ready":
        return video
    await Video.update({Video.publish_at: when}).where(Video.id == video.id)
    if video.status == "scheduled" and not is_pending(when):
        await publish(pm, video.id)
    fresh = await Video.objects().where(Video.id == video.id).first()
    if fresh is None:
        raise LookupError("the video was deleted meanwhile")
    return fresh


CRON_JOBS = (CronJob(PUBLISH_JOB, publish_scheduled, second={0}, timeout=120.0),)
