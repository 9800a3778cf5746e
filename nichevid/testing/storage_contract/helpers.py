"""Streams, readers and key lists the storage contract checks are built from."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from nichevid.storage import NotFound, Storage, StorageError, StoredObject

# Odd sizes so chunk boundaries never line up with the adapter's own read size.
LARGE_SIZE = 5 * 1024 * 1024 + 123
ODD_CHUNK = 65_521

UNICODE_KEYS = (
    "clips/été 2024/mon clip ✓.mp4",
    "clips/日本語/動画 1.mp4",
    "clips/odd/a #1 ?x=1&y=2 + 100% [v2].mp4",
    "clips/odd/a%20b.mp4",
    "clips/odd/a b.mp4",
    "clips/odd/a+b.mp4",
)


def unsafe_keys(tmp_path: Path) -> list[str]:
    """Keys every method refuses.

    The absolute key points into ``tmp_path`` (never at ``/``), so a backend that wrongly
    accepts it writes where the check sees it and harms nothing else.
    """
    return [
        "",
        "..",
        "../x",
        "../../x",
        "a/../../x",
        "./a",
        "a/./b",
        "a//b",
        "a/",
        "a\\b",
        "..\\x",
        f"{tmp_path.as_posix()}/escaped.bin",
    ]


class StreamBroke(Exception):
    """Raised by a test stream midway, as a dropped upload would."""


async def chunked(
    data: bytes, size: int = ODD_CHUNK, *, pause: bool = False
) -> AsyncIterator[bytes]:
    """``data`` as an async stream of ``size``-byte chunks (yielding to the loop if ``pause``)."""
    for offset in range(0, len(data), size):
        if pause:
            await asyncio.sleep(0)
        yield data[offset : offset + size]


async def breaking(data: bytes, after: int) -> AsyncIterator[bytes]:
    """Yield ``after`` chunks of ``data``, then raise :class:`StreamBroke`."""
    count = 0
    async for chunk in chunked(data, 1000):
        if count == after:
            raise StreamBroke("the client went away")
        count += 1
        yield chunk
    raise StreamBroke("the client went away")


async def slow(data: bytes, started: asyncio.Event) -> AsyncIterator[bytes]:
    """Yield one chunk, then wait forever (until the put is cancelled)."""
    yield data[:1000]
    started.set()
    await asyncio.Event().wait()
    yield data[1000:]  # never reached


async def read(storage: Storage, key: str, start: int = 0, end: int | None = None) -> bytes:
    """The bytes ``open`` streams, checking each chunk is ``bytes``."""
    out = bytearray()
    async for chunk in storage.open(key, start, end):
        assert isinstance(chunk, bytes), f"open yielded {type(chunk).__name__}, not bytes"
        out += chunk
    return bytes(out)


async def listing(storage: Storage, prefix: str = "") -> dict[str, int]:
    """``{key: size}`` of what ``list(prefix)`` yields, checking there are no duplicates."""
    found: dict[str, int] = {}
    async for obj in storage.list(prefix):
        assert isinstance(obj, StoredObject), f"list yielded {obj!r}"
        assert obj.key not in found, f"list({prefix!r}) yielded {obj.key!r} twice"
        found[obj.key] = obj.size
    return found


def blob(size: int, seed: int = 0) -> bytes:
    """``size`` reproducible pseudo-random bytes."""
    return random.Random(seed).randbytes(size)


def snapshot(root: Path) -> set[str]:
    """Every path under ``root`` (files and folders)."""
    return {path.relative_to(root).as_posix() for path in root.rglob("*")}


async def refuses(call: Any, what: str) -> None:
    """Assert that awaiting ``call()`` (or draining its stream) raises :class:`StorageError`."""
    try:
        result = call()
        if hasattr(result, "__aiter__"):
            async for _ in result:
                pass
        elif hasattr(result, "__await__"):
            await result
    except NotFound as exc:
        raise AssertionError(f"{what} raised NotFound; an unsafe key is a StorageError") from exc
    except StorageError:
        return
    raise AssertionError(f"{what} did not raise StorageError")
