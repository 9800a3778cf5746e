"""Serving stored media over HTTP with Range support (the local-disk default).

``GET /media/<key>`` streams a video's renditions and posters, and avatars, from the
storage backend. Uploaded originals are never served (they may carry private
metadata). In front of a CDN or nginx this route is bypassed entirely.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get, head
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Response, Stream
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_206_PARTIAL_CONTENT,
    HTTP_400_BAD_REQUEST,
    HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
)

from nichevid.media.settings import media_settings
from nichevid.storage import NotFound, Storage, StorageError, check_key

SERVED_PREFIXES = ("videos/", "avatars/")
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
# A HEAD answer has no body, yet keeps the Content-Type and Content-Length of the file.
_NO_BODY: Any = b""
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The requested range lies outside the object."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range ``(start, end)`` a ``Range`` header asks for.

    Returns ``None`` when the whole object should be sent: no header, a header this
    server ignores (other units, several ranges), as RFC 9110 allows.

    Raises:
        RangeNotSatisfiable: When the range cannot be served from ``size`` bytes.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        raise RangeNotSatisfiable(header)
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end


def _content_type(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _checked_key(raw: str) -> str:
    key = raw.lstrip("/")
    try:
        check_key(key)
    except StorageError as exc:
        raise HTTPException(status_code=HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    name = key.rsplit("/", 1)[-1]
    if not key.startswith(SERVED_PREFIXES) or name.startswith(("original.", ".")):
        raise NotFoundException()
    return key


class MediaController(Controller):
    """Media files by storage key."""

    path = "/media"
    include_in_schema = False

    async def _prepare(
        self, request: Request[Any, Any, Any], raw_key: str
    ) -> tuple[Storage, str, dict[str, str], int, tuple[int, int] | None]:
        key = _checked_key(raw_key)
        storage: Storage = request.app.state.resources.storage
        try:
            size = await storage.size(key)
        except NotFound as exc:
            raise NotFoundException() from exc
        max_age = media_settings(request.app.state.settings).cache_max_age
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": f"public, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        }
        try:
            wanted = parse_range(request.headers.get("range"), size)
        except RangeNotSatisfiable:
            raise HTTPException(
                status_code=HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
                detail="requested range not satisfiable",
                headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
            ) from None
        if wanted is None:
            headers["Content-Length"] = str(size)
        else:
            start, end = wanted
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            headers["Content-Length"] = str(end - start + 1)
        return storage, key, headers, size, wanted

    @get("/{key:path}")
    async def serve(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Stream:
        """Stream a stored file, or the requested byte range of it."""
        storage, key, headers, size, wanted = await self._prepare(request, key)
        start, end = wanted if wanted is not None else (0, size - 1)
        return Stream(
            storage.open(key, start, end) if size else iter([b""]),
            status_code=HTTP_200_OK if wanted is None else HTTP_206_PARTIAL_CONTENT,
            headers=headers,
            media_type=_content_type(key),
        )

    @head("/{key:path}")
    async def serve_head(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[None]:
        """Headers only: size, type and range support."""
        _storage, key, headers, _size, wanted = await self._prepare(request, key)
        return Response(
            _NO_BODY,
            status_code=HTTP_200_OK if wanted is None else HTTP_206_PARTIAL_CONTENT,
            headers=headers,
            media_type=_content_type(key),
        )
