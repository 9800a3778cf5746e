"""The storage interface every media backend implements (local disk, S3, ...).

Keys are relative POSIX paths such as ``videos/ab/abcd/720.mp4``. A backend never
trusts a key: :func:`check_key` refuses absolute paths, ``..`` and empty parts.
Every adapter runs the same contract suite,
:class:`nichevid.testing.storage_contract.StorageContract` (see ``docs/storage.md``).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

CHUNK_SIZE = 1024 * 1024
# The Content-Type of each kind of media file, by extension.
CONTENT_TYPES = {
    "mp4": "video/mp4",
    "m4s": "video/iso.segment",
    "m3u8": "application/vnd.apple.mpegurl",
    "webm": "video/webm",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "png": "image/png",
    "avif": "image/avif",
    "vtt": "text/vtt; charset=utf-8",
}


def content_type(key: str) -> str:
    """The ``Content-Type`` of the file stored under ``key``, by its extension."""
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


class StorageError(Exception):
    """A storage operation failed; the message says which key and why."""


class NotFound(StorageError):
    """No object is stored under the key."""


@dataclass(frozen=True)
class StoredObject:
    """Metadata of one stored object."""

    key: str
    size: int


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`StorageError`."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
        raise StorageError(f"invalid storage key {key!r}: use a relative path without '..'")
    return key


class Storage(abc.ABC):
    """A place to keep media files."""

    name: str = "storage"

    @property
    def signed_by_media_route(self) -> bool:
        """Whether nichevid's own media route checks this backend's signed URLs.

        ``True`` (local disk): ``url(key, expires_in=...)`` answers the media route's
        plain URL, and nichevid appends and checks its own ``exp``/``sig`` signature.
        ``False`` (the default): the URL the backend returns is already signed (S3
        presigning, a CDN token) and is handed out as it is.
        """
        return False

    @property
    def on_local_disk(self) -> bool:
        """Whether the files are the data folder's own, which nginx can send itself.

        Only then does ``server.x_accel_redirect`` hand media to nginx; other backends'
        files are streamed by the media route.
        """
        return False

    def describe(self) -> str:
        """Where the files are, for operators (the admin home page): ``name: place``."""
        return self.name

    @abc.abstractmethod
    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store the streamed bytes under ``key`` (replacing it) and return the size.

        The object appears whole or not at all: a failed put leaves no partial object.
        """

    @abc.abstractmethod
    def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes ``start`` to ``end`` (inclusive; ``None`` = to the last byte)."""

    @abc.abstractmethod
    async def delete(self, key: str) -> bool:
        """Delete the object; return whether it existed."""

    @abc.abstractmethod
    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    @abc.abstractmethod
    async def size(self, key: str) -> int:
        """The object's size in bytes; raise :class:`NotFound` when missing."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        """Every object whose key starts with ``prefix``."""

    @abc.abstractmethod
    async def url(self, key: str, *, expires_in: int | None = None) -> str:
        """A URL a browser can fetch the object from (signed when ``expires_in`` is set)."""

    async def put_bytes(self, key: str, data: bytes) -> int:
        """Store a small object held in memory."""

        async def once() -> AsyncIterator[bytes]:
            yield data

        return await self.put(key, once())

    async def read_bytes(self, key: str) -> bytes:
        """Read a whole (small) object into memory."""
        return b"".join([chunk async for chunk in self.open(key)])

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; return how many were deleted."""
        keys = [obj.key async for obj in self.list(prefix)]
        for key in keys:
            await self.delete(key)
        return len(keys)

    async def check(self) -> None:  # noqa: B027 - optional for backends
        """Raise :class:`StorageError` when the backend cannot be used (readiness)."""

    async def check_writable(self) -> None:  # noqa: B027 - optional for backends
        """Raise :class:`StorageError` when files cannot be written (checked at start only).

        :meth:`check` runs on every readiness probe and should be cheap; this one may
        write and delete a file of the backend's own, which :meth:`list` never yields.
        """

    async def close(self) -> None:  # noqa: B027 - optional for backends
        """Release connections (the process is done with the backend); idempotent."""
