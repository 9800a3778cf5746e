"""The cron job that tidies uploads: expired ones are deleted, stalled ones finished."""

from __future__ import annotations

from typing import Any

from nichevid.jobs import CronJob
from nichevid.media.tus.services import delete_expired, finish_stalled

EXPIRE_JOB = "media.expire_uploads"


async def expire_uploads(ctx: dict[str, Any]) -> int:
    """Delete every upload past its ``Upload-Expires``; finish stalled complete ones.

    Returns:
        How many expired uploads were deleted.
    """
    if ctx.get("resources") is not None:
        await finish_stalled(ctx["resources"])
    return await delete_expired(ctx["settings"])


CRON_JOBS = (CronJob(EXPIRE_JOB, expire_uploads, minute={0, 15, 30, 45}, timeout=300.0),)
