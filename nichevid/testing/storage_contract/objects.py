"""Contract checks on objects: atomic puts, ranges, missing keys, folders, concurrency."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from nichevid.storage import CHUNK_SIZE, NotFound, Storage, StorageError
from nichevid.testing.storage_contract.helpers import (
    LARGE_SIZE,
    StreamBroke,
    blob,
    breaking,
    chunked,
    listing,
    read,
    slow,
)


class ObjectChecks:
    """Storing, reading and replacing objects (part of :class:`StorageContract`)."""

    # ----------------------------------------------------------------- put and open

    async def test_put_streams_returns_the_size_and_round_trips(self, storage: Storage) -> None:
        data = blob(300_001)
        assert await storage.put("videos/ab/720p.mp4", chunked(data)) == len(data)
        assert await read(storage, "videos/ab/720p.mp4") == data
        assert await storage.read_bytes("videos/ab/720p.mp4") == data
        assert await storage.size("videos/ab/720p.mp4") == len(data)
        assert await storage.exists("videos/ab/720p.mp4")

    async def test_empty_object(self, storage: Storage) -> None:
        assert await storage.put("empty.bin", chunked(b"")) == 0
        assert await storage.exists("empty.bin")
        assert await storage.size("empty.bin") == 0
        assert await read(storage, "empty.bin") == b""
        assert await listing(storage) == {"empty.bin": 0}
        assert await storage.put_bytes("empty2.bin", b"") == 0
        assert await storage.read_bytes("empty2.bin") == b""

    async def test_large_object_in_odd_chunks(self, storage: Storage) -> None:
        data = blob(LARGE_SIZE, seed=1)
        assert await storage.put("big/object.bin", chunked(data)) == LARGE_SIZE
        assert await storage.size("big/object.bin") == LARGE_SIZE
        digest = hashlib.sha256()
        async for chunk in storage.open("big/object.bin"):
            digest.update(chunk)
        assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
        # Ranges across the adapter's chunk boundaries.
        for start, end in ((CHUNK_SIZE - 1, CHUNK_SIZE + 1), (3, 2 * CHUNK_SIZE + 7)):
            assert await read(storage, "big/object.bin", start, end) == data[start : end + 1]
        assert await read(storage, "big/object.bin", LARGE_SIZE - 10) == data[-10:]

    async def test_put_replaces_an_existing_object(self, storage: Storage) -> None:
        await storage.put_bytes("k/v.txt", b"first version, longer than the second")
        assert await storage.put("k/v.txt", chunked(b"second", 2)) == 6
        assert await storage.read_bytes("k/v.txt") == b"second"
        assert await storage.size("k/v.txt") == 6
        assert await listing(storage) == {"k/v.txt": 6}

    async def test_put_bytes_and_read_bytes(self, storage: Storage) -> None:
        assert await storage.put_bytes("a/b/c.jpg", b"\xff\xd8jpeg") == 6
        assert await storage.read_bytes("a/b/c.jpg") == b"\xff\xd8jpeg"

    async def test_a_failing_stream_leaves_no_partial_object(self, storage: Storage) -> None:
        data = blob(50_000, seed=2)
        with pytest.raises(StreamBroke):
            await storage.put("up/new.mp4", breaking(data, after=10))
        assert not await storage.exists("up/new.mp4")
        with pytest.raises(NotFound):
            await storage.size("up/new.mp4")
        assert await listing(storage) == {}

    async def test_a_failing_stream_keeps_the_previous_object(self, storage: Storage) -> None:
        old = blob(20_000, seed=3)
        await storage.put("up/kept.mp4", chunked(old))
        with pytest.raises(StreamBroke):
            await storage.put("up/kept.mp4", breaking(blob(50_000, seed=4), after=30))
        with pytest.raises(StreamBroke):
            await storage.put("up/kept.mp4", breaking(b"", after=0))
        assert await storage.read_bytes("up/kept.mp4") == old
        assert await listing(storage) == {"up/kept.mp4": len(old)}

    async def test_a_cancelled_put_keeps_the_previous_object(self, storage: Storage) -> None:
        await storage.put_bytes("up/cancel.mp4", b"old")
        started = asyncio.Event()
        task = asyncio.create_task(storage.put("up/cancel.mp4", slow(blob(5000), started)))
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await storage.read_bytes("up/cancel.mp4") == b"old"
        assert await listing(storage) == {"up/cancel.mp4": 3}

    # ----------------------------------------------------------------- ranges

    async def test_open_with_ranges(self, storage: Storage) -> None:
        data = bytes(range(256)) * 4
        size = len(data)
        await storage.put("r/data.bin", chunked(data, 100))
        assert await read(storage, "r/data.bin", 0) == data
        assert await read(storage, "r/data.bin", 10) == data[10:]
        assert await read(storage, "r/data.bin", 10, 19) == data[10:20]
        assert await read(storage, "r/data.bin", 0, 0) == data[:1]
        assert await read(storage, "r/data.bin", size - 1) == data[-1:]
        assert await read(storage, "r/data.bin", size - 1, size - 1) == data[-1:]
        assert await read(storage, "r/data.bin", 0, size - 1) == data

    async def test_a_range_past_the_end_is_clipped(self, storage: Storage) -> None:
        data = b"0123456789"
        await storage.put_bytes("r/short.bin", data)
        assert await read(storage, "r/short.bin", 5, 1000) == b"56789"
        assert await read(storage, "r/short.bin", 0, 10) == data
        assert await read(storage, "r/short.bin", 10) == b""
        assert await read(storage, "r/short.bin", 10, 20) == b""
        assert await read(storage, "r/short.bin", 50) == b""

    # ----------------------------------------------------------------- missing keys

    async def test_missing_keys_raise_not_found(self, storage: Storage) -> None:
        await storage.put_bytes("there/a.mp4", b"a")
        for key in ("nothing.mp4", "there/b.mp4", "nowhere/at/all.mp4"):
            with pytest.raises(NotFound):
                await storage.size(key)
            with pytest.raises(NotFound):
                await read(storage, key)
            with pytest.raises(NotFound):
                await read(storage, key, 5, 10)
            with pytest.raises(NotFound):
                await storage.read_bytes(key)
            assert not await storage.exists(key)

    async def test_a_folder_is_not_an_object(self, storage: Storage) -> None:
        await storage.put_bytes("videos/ab/720p.mp4", b"video")
        for key in ("videos", "videos/ab", "videos/a", "videos/ab/720p.mp4/more"):
            assert not await storage.exists(key), key
            with pytest.raises(NotFound):
                await storage.size(key)
            with pytest.raises(NotFound):
                await read(storage, key)
            assert await storage.delete(key) is False, key
        assert await storage.read_bytes("videos/ab/720p.mp4") == b"video"

    async def test_an_object_over_a_folder_or_below_an_object(self, storage: Storage) -> None:
        await storage.put_bytes("f/a/b.mp4", b"below")
        await storage.put_bytes("f/c.mp4", b"file")
        for key in ("f/a", "f/c.mp4/d.mp4"):
            refused: StorageError | None = None
            try:
                await storage.put(key, chunked(b"clash"))
            except StorageError as exc:
                refused = exc
            if refused is not None:
                assert key in str(refused), f"the error does not name the key: {refused}"
                assert not await storage.exists(key)
            else:  # object stores have no folders: both keys live side by side
                assert await storage.read_bytes(key) == b"clash"
        assert await storage.read_bytes("f/a/b.mp4") == b"below"
        assert await storage.read_bytes("f/c.mp4") == b"file"

    # ----------------------------------------------------------------- concurrency

    async def test_concurrent_puts_to_different_keys(self, storage: Storage) -> None:
        payloads = {f"videos/c{n % 3}/{n}.mp4": blob(40_000 + n * 97, seed=n) for n in range(12)}
        sizes = await asyncio.gather(
            *(storage.put(key, chunked(data, 4099, pause=True)) for key, data in payloads.items())
        )
        assert sizes == [len(data) for data in payloads.values()]
        for key, data in payloads.items():
            assert await storage.read_bytes(key) == data, key
        assert await listing(storage) == {k: len(v) for k, v in payloads.items()}

    async def test_concurrent_puts_to_one_key_leave_one_whole_version(
        self, storage: Storage
    ) -> None:
        versions = [bytes([n]) * 30_000 for n in range(6)]
        await asyncio.gather(
            *(storage.put("race/one.mp4", chunked(v, 1001, pause=True)) for v in versions)
        )
        assert await storage.read_bytes("race/one.mp4") in versions
        assert await listing(storage) == {"race/one.mp4": 30_000}

    # ----------------------------------------------------------------- readiness

    async def test_check_passes_for_a_working_store(self, storage: Storage) -> None:
        await storage.check()
        await storage.check_writable()
        await storage.put_bytes("after/check.txt", b"ok")
        await storage.check()
        await storage.check_writable()
        # Whatever the write check wrote is gone, or at least never listed.
        assert await listing(storage) == {"after/check.txt": 2}
