"""Write-behind for watch events: accepted events are buffered, then written in batches.

Never one INSERT per event. Two buffers, chosen by the shape:

* :class:`MemoryBuffer` (embedded shape): a list in this process, written by a
  background task every ``events_flush_seconds`` or as soon as it holds
  ``events_flush_size`` events, and on shutdown. A hard crash (SIGKILL, power loss)
  loses what arrived since the last write: at most ``events_flush_seconds`` worth.
* :class:`RedisBuffer` (production shape): each accepted batch is one ``RPUSH`` of
  JSON to a Redis list, so events outlive the web process that took them. Every
  web process drains the list: a Lua script moves a chunk (``LPOP`` with a count)
  to the process's own in-flight list, the rows are written, the in-flight list is
  deleted. The in-flight list of a process that died mid-write is put back on the
  queue by another process once the dead one's ``alive`` key expires, so a crash
  loses nothing; a process killed after its commit but before deleting its
  in-flight list has that one chunk written twice (at least once, never lost).

Rows are written with one ``executemany`` per chunk on SQLite and ``COPY`` on
PostgreSQL (through the engine's own asyncpg pool).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any

import msgspec

from nichevid.feed.eventwriter import Row, RowWriter

log = logging.getLogger("nichevid.feed.events")

# The memory buffer refuses new events past this many unwritten ones (database down).
MEMORY_LIMIT = 200_000


class BufferFull(Exception):
    """Events cannot be buffered now (the database has been unreachable for a while)."""


class EventBuffer:
    """Interface of both buffers; ``received`` and ``stored`` count events since start."""

    received: int = 0
    stored: int = 0

    async def add(self, rows: list[Row]) -> None:
        """Buffer accepted rows (raises :class:`BufferFull` or a Redis error when it cannot)."""
        raise NotImplementedError

    async def flush(self) -> int:
        """Write everything buffered now; return how many rows were stored."""
        raise NotImplementedError

    async def start(self) -> None:
        """Start the background writer."""
        raise NotImplementedError

    async def close(self) -> None:
        """Stop the background writer and write what is left."""
        raise NotImplementedError


class _Periodic(EventBuffer):
    """A background task calling :meth:`flush` every ``interval`` seconds or when woken."""

    def __init__(self, writer: RowWriter, interval: float, size: int) -> None:
        self.writer = writer
        self.interval = interval
        self.size = size
        self.received = 0
        self.stored = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="nichevid-watch-events")

    async def _run(self) -> None:
        # Stopped by a flag, not by cancelling: a cancel that lands while wait_for's inner
        # wait completes is lost on Python 3.11, and the loop would never end.
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
            if self._closing:
                break
            try:
                await self.flush()
            except Exception:
                # The database is down or busy: the rows stay buffered for the next round.
                log.exception("writing watch events failed; retrying")
                await asyncio.sleep(self.interval)

    async def close(self) -> None:
        if self._task is not None:
            self._closing = True
            self._wake.set()
            await self._task
            self._task = None
        await self.flush()
        await self.writer.close()


class MemoryBuffer(_Periodic):
    """Rows kept in this process until the next write (embedded shape)."""

    def __init__(self, writer: RowWriter, interval: float, size: int) -> None:
        super().__init__(writer, interval, size)
        self._rows: list[Row] = []

    @property
    def pending(self) -> int:
        """Rows not written yet."""
        return len(self._rows)

    async def add(self, rows: list[Row]) -> None:
        if len(self._rows) + len(rows) > MEMORY_LIMIT:
            raise BufferFull(f"{len(self._rows)} watch events are waiting to be written")
        self._rows.extend(rows)
        self.received += len(rows)
        if len(self._rows) >= self.size:
            self._wake.set()

    async def flush(self) -> int:
        stored = 0
        async with self._lock:
            while self._rows:
                chunk = self._rows[: self.size]
                stored += await self.writer.write(chunk)
                # Only once written: a failed write leaves the chunk for the next round.
                del self._rows[: len(chunk)]
        self.stored += stored
        return stored


_ROWS = msgspec.json.Decoder(list[Row])

# KEYS: queue, in-flight list, alive key, set of drainers; ARGV: count, alive ms, drainer id.
_TAKE = """
local items = redis.call('LPOP', KEYS[1], ARGV[1])
if not items then return {} end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('RPUSH', KEYS[2], unpack(items))
return items
"""
# KEYS: in-flight list, queue. Puts the in-flight items back at the head of the queue.
_REQUEUE = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #items, 1, -1 do redis.call('LPUSH', KEYS[2], items[i]) end
redis.call('DEL', KEYS[1])
return #items
"""


class RedisBuffer(_Periodic):
    """Rows queued in a Redis list, drained by every web process (production shape)."""

    prefix = "nv:feed:events"
    # A drainer whose alive key has expired is taken for dead (set per chunk taken).
    alive_ms = 120_000
    # Batches (one per accepted request) taken per chunk.
    chunk_batches = 200

    def __init__(self, redis: Any, writer: RowWriter, interval: float, size: int) -> None:
        super().__init__(writer, interval, size)
        self.redis = redis
        self.drainer = secrets.token_hex(8)
        self.queue = f"{self.prefix}:queue"
        self.drainers = f"{self.prefix}:drainers"
        self._take = redis.register_script(_TAKE)
        self._requeue = redis.register_script(_REQUEUE)
        self._last_recovery = 0.0

    def _inflight(self, drainer: str) -> str:
        return f"{self.prefix}:inflight:{drainer}"

    def _alive(self, drainer: str) -> str:
        return f"{self.prefix}:alive:{drainer}"

    async def add(self, rows: list[Row]) -> None:
        await self.redis.rpush(self.queue, msgspec.json.encode(rows))
        self.received += len(rows)

    async def pending(self) -> int:
        """Batches waiting in the queue (all processes)."""
        return int(await self.redis.llen(self.queue))

    async def flush(self) -> int:
        stored = 0
        async with self._lock:
            if time.monotonic() - self._last_recovery > 5:
                await self.recover()
            inflight = self._inflight(self.drainer)
            # Left over from a failed write of this process: write it first.
            await self._requeue(keys=[inflight, self.queue])
            while True:
                keys = [self.queue, inflight, self._alive(self.drainer), self.drainers]
                args = [self.chunk_batches, self.alive_ms, self.drainer]
                items = await self._take(keys=keys, args=args)
                if not items:
                    break
                rows: list[Row] = []
                for item in items:
                    rows.extend(_ROWS.decode(item))
                # One statement for the chunk: it is stored whole or not at all.
                stored += await self.writer.write(rows)
                await self.redis.delete(inflight)
        self.stored += stored
        return stored

    async def recover(self) -> int:
        """Put back the in-flight events of drainers that died; return how many batches."""
        self._last_recovery = time.monotonic()
        moved = 0
        for raw in await self.redis.smembers(self.drainers):
            drainer = raw.decode() if isinstance(raw, bytes) else str(raw)
            if drainer == self.drainer or await self.redis.exists(self._alive(drainer)):
                continue
            moved += int(await self._requeue(keys=[self._inflight(drainer), self.queue]))
            await self.redis.srem(self.drainers, drainer)
        if moved:
            log.warning("re-queued %d batches of watch events of a stopped process", moved)
        return moved

    async def close(self) -> None:
        await super().close()
        await self.redis.delete(self._alive(self.drainer))
        await self.redis.srem(self.drainers, self.drainer)
