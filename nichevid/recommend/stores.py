"""Where viewer state is kept: Redis with Redis; in the process when it is the only one.

Session records (feedback, shown cards) live six hours and are read and written
on every batch. With Redis they go there, shared by every web process. Without
Redis and with a single web process (the embedded default) they stay in that
process, in a bounded LRU, so a batch costs no database write; a restart starts
sessions afresh. Choices (interests, hidden things, feed mode) must outlive a
restart: without Redis they are written to the database and, in a single
process, read from a cache of it. Several web processes without Redis share
everything through the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from nichevid.recommend.session import STORE

LOCAL_ENTRIES = 50_000
_KEY = "recommend.stores"


class LocalStore:
    """A bounded in-process store with expiry (the ``get``/``set``/``delete`` of a Store)."""

    def __init__(self, entries: int = LOCAL_ENTRIES) -> None:
        self.entries = entries
        self._data: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        found = self._data.get(key)
        if found is None:
            return None
        value, expires = found
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        expires = time.monotonic() + seconds if seconds is not None else None
        self._data[key] = (data, expires)
        self._data.move_to_end(key)
        while len(self._data) > self.entries:
            self._data.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)


class CachedStore:
    """Writes go to ``backing`` and the cache; reads come from the cache when they can."""

    def __init__(self, backing: Any, cache: LocalStore) -> None:
        self.backing, self.cache = backing, cache

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        found = await self.cache.get(key)
        if found is None:
            found = await self.backing.get(key)
            # A miss is remembered as empty, so a new viewer costs one read, not one each.
            await self.cache.set(key, found or b"", expires_in=3600)
        return found or None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        await self.backing.set(key, value, expires_in=expires_in)
        await self.cache.set(key, value, expires_in=3600)

    async def delete(self, key: str) -> None:
        await self.backing.delete(key)
        await self.cache.delete(key)


def viewer_stores(app: Any) -> tuple[Any, Any]:
    """``(session records, choices)`` stores for this app (see the module text)."""
    found: tuple[Any, Any] | None = app.state.get(_KEY)
    if found is None:
        shared = app.stores.get(STORE)
        settings = app.state.settings
        if settings.uses_redis or settings.server.workers > 1:
            found = (shared, shared)
        else:
            found = (LocalStore(), CachedStore(shared, LocalStore()))
        app.state[_KEY] = found
    return found
