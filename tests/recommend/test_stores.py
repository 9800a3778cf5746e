"""Where viewer state lives: a bounded local store, and a cache in front of the shared one."""

from __future__ import annotations

import asyncio
from typing import Any

from nichevid.recommend.stores import CachedStore, LocalStore


class Counting:
    """A shared store that counts its reads."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.reads = 0

    async def get(self, key: str, renew_for: Any = None) -> bytes | None:
        self.reads += 1
        return self.data.get(key)

    async def set(self, key: str, value: str | bytes, expires_in: Any = None) -> None:
        self.data[key] = value.encode() if isinstance(value, str) else value

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)


async def test_the_local_store_forgets_the_oldest_and_the_expired() -> None:
    store = LocalStore(entries=3)
    for n in range(4):
        await store.set(f"k{n}", f"v{n}")
    assert await store.get("k0") is None
    assert await store.get("k3") == b"v3"
    await store.set("short", "x", expires_in=0.05)
    assert await store.get("short") == b"x"
    await asyncio.sleep(0.1)
    assert await store.get("short") is None
    await store.delete("k3")
    assert await store.get("k3") is None


async def test_the_cache_reads_the_shared_store_once_and_writes_through() -> None:
    shared = Counting()
    cached = CachedStore(shared, LocalStore())
    assert await cached.get("c:u1") is None
    assert await cached.get("c:u1") is None
    assert shared.reads == 1  # a miss is remembered
    await cached.set("c:u1", "choices")
    assert shared.data["c:u1"] == b"choices"
    assert await cached.get("c:u1") == b"choices"
    assert shared.reads == 1
    await cached.delete("c:u1")
    assert "c:u1" not in shared.data
    assert await cached.get("c:u1") is None
    assert shared.reads == 2


async def test_several_processes_or_redis_share_everything(nv_app: Any, nv_client: Any) -> None:
    from nichevid.recommend.stores import viewer_stores

    records, lasting = viewer_stores(nv_app)
    settings = nv_app.state.settings
    if settings.uses_redis or settings.server.workers > 1:
        assert records is lasting
    else:
        assert isinstance(records, LocalStore)
        assert isinstance(lasting, CachedStore)
