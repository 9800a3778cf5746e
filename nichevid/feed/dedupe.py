"""Recently seen client event ids, per viewer, to drop events the player sent twice.

The player gives every event a random id and resends a batch whose answer it did
not get. Each viewer's most recent ``keep`` ids are remembered: in Redis when it is
configured (shared by every web process, one sorted set per viewer that expires a
day after its last use), else in this process (bounded in viewers too).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

# Redis: a viewer's ids are forgotten this long after their last batch.
SEEN_TTL_SECONDS = 86_400
REDIS_PREFIX = "nv:feed:seen:"


class RecentIds:
    """Interface: claim ids (True: first time seen) and release claims that were not kept."""

    async def claim(self, viewer: str, ids: list[str]) -> list[bool]:
        """Remember ``ids`` of ``viewer``; for each, whether it is new (repeats in ``ids`` too)."""
        raise NotImplementedError

    async def release(self, viewer: str, ids: list[str]) -> None:
        """Forget ``ids`` again (their events could not be buffered)."""
        raise NotImplementedError


class MemoryRecentIds(RecentIds):
    """In-process ids: ``keep`` per viewer, for the ``max_viewers`` most recent viewers."""

    def __init__(self, keep: int, max_viewers: int = 100_000) -> None:
        self.keep = keep
        self.max_viewers = max_viewers
        self._viewers: OrderedDict[str, dict[str, None]] = OrderedDict()

    async def claim(self, viewer: str, ids: list[str]) -> list[bool]:
        seen = self._viewers.get(viewer)
        if seen is None:
            seen = self._viewers[viewer] = {}
            if len(self._viewers) > self.max_viewers:
                self._viewers.popitem(last=False)
        else:
            self._viewers.move_to_end(viewer)
        fresh = []
        for event_id in ids:
            new = event_id not in seen
            fresh.append(new)
            if new:
                seen[event_id] = None
        # A dict keeps insertion order: the oldest ids go first.
        while len(seen) > self.keep:
            del seen[next(iter(seen))]
        return fresh

    async def release(self, viewer: str, ids: list[str]) -> None:
        seen = self._viewers.get(viewer)
        if seen is not None:
            for event_id in ids:
                seen.pop(event_id, None)


# KEYS: the viewer's set; ARGV: now, keep, ttl, ids... Returns 1 (new) or 0 per id.
_CLAIM = """
local out = {}
for i = 4, #ARGV do out[#out + 1] = redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[i]) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return out
"""


class RedisRecentIds(RecentIds):
    """Ids in one Redis sorted set per viewer (score: when seen), trimmed to ``keep``.

    A batch is claimed with one script call (one round trip, atomic).
    """

    def __init__(self, redis: Any, keep: int) -> None:
        self.redis = redis
        self.keep = keep
        self._claim = redis.register_script(_CLAIM)

    async def claim(self, viewer: str, ids: list[str]) -> list[bool]:
        if not ids:
            return []
        args = [time.time(), self.keep, SEEN_TTL_SECONDS, *ids]
        results = await self._claim(keys=[REDIS_PREFIX + viewer], args=args)
        return [bool(added) for added in results]

    async def release(self, viewer: str, ids: list[str]) -> None:
        if ids:
            await self.redis.zrem(REDIS_PREFIX + viewer, *ids)
