"""Fixed-window rate limits: Redis ``INCR`` in production, an upsert counter otherwise."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from nichevid.core.tables import RateCounter

PURGE_SECONDS = 60.0


@dataclass(frozen=True)
class Verdict:
    """The outcome of one hit: allowed or not, and when to try again."""

    allowed: bool
    count: int
    retry_after: int


def too_many(verdict: Verdict, message: str) -> HTTPException:
    """The 429 answer for a refused hit: ``message`` says how long to wait (``Retry-After``)."""
    return HTTPException(
        status_code=HTTP_429_TOO_MANY_REQUESTS,
        detail=message,
        headers={"Retry-After": str(verdict.retry_after)},
    )


class RateLimiter:
    """Counts hits per key in fixed windows. Atomic on both backends."""

    def __init__(self, redis: Any = None, prefix: str = "nv:rl:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._next_purge = 0.0

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        """Record a hit on ``key``; refuse it past ``limit`` hits in ``window`` seconds."""
        bucket = int(time.time() // window)
        retry_after = (bucket + 1) * window - int(time.time())
        if self.redis is not None:
            full = f"{self.prefix}{key}:{bucket}"
            pipe = self.redis.pipeline()
            pipe.incr(full)
            pipe.expire(full, window + 1)
            count, _ = await pipe.execute()
        else:
            count = await self._db_hit(f"{key}:{bucket}", window)
        return Verdict(count <= limit, int(count), max(1, retry_after))

    async def reset(self, key: str, window: int) -> None:
        """Forget the hits of the current window (e.g. after a successful login)."""
        bucket = int(time.time() // window)
        if self.redis is not None:
            await self.redis.delete(f"{self.prefix}{key}:{bucket}")
        else:
            await RateCounter.delete().where(RateCounter.key == f"{key}:{bucket}").run()

    async def _db_hit(self, key: str, window: int) -> int:
        now = datetime.now(UTC)
        # One statement, so concurrent hits never lose a count.
        rows = await RateCounter.raw(
            "INSERT INTO nv_rate (key, hits, window_end) VALUES ({}, 1, {}) "
            "ON CONFLICT (key) DO UPDATE SET hits = nv_rate.hits + 1 RETURNING hits",
            key,
            now + timedelta(seconds=window),
        ).run()
        if time.time() >= self._next_purge:
            # Old windows go once a minute per process, not on every hit of a busy second.
            self._next_purge = time.time() + PURGE_SECONDS
            await RateCounter.delete().where(RateCounter.window_end < now).run()
        return int(rows[0]["hits"])
