"""Serving stored media over HTTP with Range support (the local-disk default).

``GET /media/<key>`` streams a video's renditions and posters, and avatars, from the
storage backend. Uploaded originals are never served (they may carry private
metadata). Files of a video that is not public and ready are served only on a
signed URL (see :func:`nichevid.media.services.media_url`), never cached by shared
caches. With ``server.x_accel_redirect`` the checks run here and nginx sends the
file from its ``/protected-media/`` internal location.
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
    HTTP_403_FORBIDDEN,
    HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
)

from nichevid.core.secrets import instance_secret
from nichevid.i18n import gettext
from nichevid.media.hls import sign_playlist
from nichevid.media.settings import media_settings
from nichevid.media.signing import remaining, signed_query
from nichevid.media.tables import Video
from nichevid.storage import NotFound, Storage, StorageError, check_key, content_type

SERVED_PREFIXES = ("videos/", "avatars/")
# The internal nginx location that maps to the local media directory.
X_ACCEL_PREFIX = "/protected-media/"
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


async def cache_control(request: Request[Any, Any, Any], key: str) -> str:
    """The ``Cache-Control`` of a permitted request for ``key``.

    Raises:
        NotFoundException: When ``key`` belongs to no video.
        HTTPException: 403 when the video is not open (public, ready and not
            age-restricted) and the request
            carries no valid, unexpired signature.
    """
    settings = request.app.state.settings
    public = f"public, max-age={media_settings(settings).cache_max_age}"
    if not key.startswith("videos/"):
        return public
    slug = key.split("/", 2)[1]
    video = (
        await Video.select(Video.visibility, Video.status, Video.age_restricted)
        .where(Video.slug == slug)
        .first()
    )
    if video is None:
        raise NotFoundException()
    opened = video["visibility"] == "public" and video["status"] == "ready"
    if opened and not video["age_restricted"]:
        return public
    params = request.query_params
    left = remaining(instance_secret(settings), key, params.get("exp"), params.get("sig"))
    if not left:
        raise HTTPException(
            status_code=HTTP_403_FORBIDDEN,
            detail=gettext("This link is not valid; open the video again to get a fresh one."),
        )
    return f"private, max-age={left}"


async def _signed_playlist(
    request: Request[Any, Any, Any], storage: Storage, key: str, headers: dict[str, str]
) -> Response[Any]:
    """An HLS playlist of a non-public video, each URI in it signed for the player.

    Segments stay reachable for as long as the longest video plays, plus the usual
    lifetime of a signed link.
    """
    settings = request.app.state.settings
    config = media_settings(settings)
    ttl = config.signed_url_ttl + int(config.max_duration)
    secret = instance_secret(settings)
    text = (await storage.read_bytes(key)).decode("utf-8")
    body = sign_playlist(text, key, lambda target: signed_query(secret, target, ttl)).encode()
    kept = {k: v for k, v in headers.items() if k in ("Cache-Control", "X-Content-Type-Options")}
    return Response(body, headers=kept, media_type=content_type(key))


class MediaController(Controller):
    """Media files by storage key."""

    path = "/media"
    include_in_schema = False

    async def _prepare(
        self, request: Request[Any, Any, Any], raw_key: str
    ) -> tuple[Storage, str, dict[str, str], int, tuple[int, int] | None]:
        key = _checked_key(raw_key)
        cache = await cache_control(request, key)
        storage: Storage = request.app.state.resources.storage
        try:
            size = await storage.size(key)
        except NotFound as exc:
            raise NotFoundException() from exc
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": cache,
            "X-Content-Type-Options": "nosniff",
        }
        if request.app.state.settings.server.x_accel_redirect and storage.on_local_disk:
            # nginx answers ranges itself from the file it is pointed at.
            headers["X-Accel-Redirect"] = X_ACCEL_PREFIX + key
            return storage, key, headers, size, None
        try:
            wanted = parse_range(request.headers.get("range"), size)
        except RangeNotSatisfiable:
            raise HTTPException(
                status_code=HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
                detail=gettext(
                    "The requested range is outside the file; ask for a range within it."
                ),
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
    async def serve(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Stream | Response[Any]:
        """Stream a stored file, or the requested byte range of it."""
        storage, key, headers, size, wanted = await self._prepare(request, key)
        if key.endswith(".m3u8") and headers["Cache-Control"].startswith("private"):
            return await _signed_playlist(request, storage, key, headers)
        if "X-Accel-Redirect" in headers:
            return Response(_NO_BODY, headers=headers, media_type=content_type(key))
        start, end = wanted if wanted is not None else (0, size - 1)
        return Stream(
            storage.open(key, start, end) if size else iter([b""]),
            status_code=HTTP_200_OK if wanted is None else HTTP_206_PARTIAL_CONTENT,
            headers=headers,
            media_type=content_type(key),
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
            media_type=content_type(key),
        )
