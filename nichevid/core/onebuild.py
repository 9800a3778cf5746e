"""One build at a time of something a process keeps and rebuilds in the background.

The For You order and the recommender's catalogue are built on first use and then
rebuilt in the background when they go stale. When a process starts under load,
dozens of requests arrive before the first build ends; each building its own copy
would multiply a build of half a second of database work by the number of requests
waiting. :class:`OneBuild` runs at most one build at a time: the requests that need
the result wait for the same build, and the others are served from the old result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class OneBuild:
    """Runs ``build`` at most once at a time; ``failed`` is called when a build raises."""

    def __init__(self, build: Callable[[], Awaitable[None]], failed: Callable[[], None]) -> None:
        self._build = build
        self._failed = failed
        self._task: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        """The build in progress, or a new one started in the background."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._build())
            self._task.add_done_callback(self._done)
        return self._task

    async def wait(self) -> None:
        """Join the build in progress (or start one) and wait for it to end.

        Raises:
            Exception: What the build raised, to every caller waiting for it.
        """
        # A waiter that gives up (its client went away) leaves the build running for the rest.
        await asyncio.shield(self.start())

    def _done(self, task: asyncio.Task[None]) -> None:
        self._task = None
        if not task.cancelled() and task.exception() is not None:
            self._failed()
