"""The CDN adapter: a :class:`~nichevid.storage.Storage` wrapping the origin storage.

Files are stored, read, listed and deleted in the origin backend; only ``url``
answers differently, with the CDN's address (signed in the configured scheme).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from urllib.parse import quote, urlsplit

from nichevid.storage import Storage, StorageError, StoredObject, check_key
from nichevid_cdn.settings import CdnSettings
from nichevid_cdn.signing import SIGNERS


class CdnStorage(Storage):
    """Media kept by ``origin``, fetched by browsers from a CDN at ``config.base_url``.

    Args:
        origin: The backend holding the files.
        config: The validated ``[plugin.cdn]`` settings.
        clock: Current Unix time (tests pass a fixed one).
    """

    name = "cdn"

    def __init__(
        self, origin: Storage, config: CdnSettings, clock: Callable[[], float] = time.time
    ) -> None:
        if isinstance(origin, CdnStorage):
            raise StorageError("the CDN adapter cannot wrap another CDN adapter")
        self.origin = origin
        self.config = config
        self.clock = clock

    @property
    def signed_by_media_route(self) -> bool:
        """Only when the CDN does not sign: signed URLs are then the origin's own."""
        return self.config.signing == "none" and self.origin.signed_by_media_route

    def describe(self) -> str:
        return f"{self.name}: {self.config.base_url} <- {self.origin.describe()}"

    @property
    def on_local_disk(self) -> bool:
        return self.origin.on_local_disk

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        return await self.origin.put(key, chunks)

    def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self.origin.open(key, start, end)

    async def delete(self, key: str) -> bool:
        return await self.origin.delete(key)

    async def exists(self, key: str) -> bool:
        return await self.origin.exists(key)

    async def size(self, key: str) -> int:
        return await self.origin.size(key)

    def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        return self.origin.list(prefix)

    async def put_bytes(self, key: str, data: bytes) -> int:
        return await self.origin.put_bytes(key, data)

    async def read_bytes(self, key: str) -> bytes:
        return await self.origin.read_bytes(key)

    async def delete_prefix(self, prefix: str) -> int:
        return await self.origin.delete_prefix(prefix)

    async def check_writable(self) -> None:
        await self.origin.check_writable()

    async def close(self) -> None:
        await self.origin.close()

    async def url(self, key: str, *, expires_in: int | None = None) -> str:
        """The CDN's URL of ``key``; signed for ``expires_in`` seconds when set.

        With ``signing = "none"`` a signed URL is never a plain CDN URL: restricted
        files must not get an address that works for ever, so the origin answers
        (local disk: the media route's URL, which the core then signs).
        """
        # Encoded as local disk encodes it, so "#", "?" or "%" stay part of the path.
        encoded = quote(check_key(key))
        if expires_in is None:
            return f"{self.config.base_url}/{encoded}"
        if self.config.signing == "none":
            return await self.origin.url(key, expires_in=expires_in)
        if expires_in <= 0:
            raise StorageError(f"cannot sign {key!r} for {expires_in} seconds: use 1 or more")
        base = self.config.signed_base
        path = f"{urlsplit(base).path}/{encoded}"
        expires = int(self.clock()) + expires_in
        query = SIGNERS[self.config.signing](self.config.secret.reveal(), path, expires)
        return f"{base}/{encoded}?{query}"

    async def check(self) -> None:
        """Refuse settings that cannot work, then check the origin."""
        problems = self.config.problems()
        if problems:
            raise StorageError(problems[0])
        await self.origin.check()
