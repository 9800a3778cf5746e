"""Tidying uploads: expired ones are deleted, stalled ones finished, orphans removed.

The cron job runs on one worker. Where web hosts keep their partial files on their
own disks (no shared data folder: media in a bucket, uploads pinned to a web host by
the proxy), each web process also tidies its own folder (:func:`tidy_lifespan`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

from nichevid.core.tasks import in_background
from nichevid.jobs import CronJob
from nichevid.media.tus.services import (
    delete_expired,
    finish_stalled,
    remove_orphans,
    tidy_here,
)

EXPIRE_JOB = "media.expire_uploads"
# How often a web process of the production shape tidies its own uploads folder.
TIDY_SECONDS = 900.0
log = logging.getLogger(__name__)


async def expire_uploads(ctx: dict[str, Any]) -> int:
    """Delete every upload past its ``Upload-Expires``; finish stalled complete ones.

    Returns:
        How many expired uploads were deleted.
    """
    if ctx.get("resources") is not None:
        await finish_stalled(ctx["resources"])
    deleted = await delete_expired(ctx["settings"])
    await remove_orphans(ctx["settings"])
    return deleted


CRON_JOBS = (CronJob(EXPIRE_JOB, expire_uploads, minute={0, 15, 30, 45}, timeout=300.0),)


@contextlib.asynccontextmanager
async def tidy_lifespan(app: Any) -> AsyncIterator[None]:
    """In the production shape, tidy this process's uploads folder every ``TIDY_SECONDS``
    (the embedded shape's in-process cron job already does it)."""
    resources = app.state.resources
    if not resources.settings.uses_redis:
        yield
        return

    async def loop() -> None:
        while True:
            # Spread out, so that web processes of one machine rarely tidy at once.
            await asyncio.sleep(TIDY_SECONDS * random.uniform(0.5, 1.0))
            try:
                await tidy_here(resources)
            except Exception:
                log.exception("tidying the uploads folder failed; trying again later")

    async with in_background(loop()):
        yield
