"""``POST /api/events``: the player's watch events, and the lifespan of their buffer.

CSRF: the player sends its last events with ``navigator.sendBeacon`` when the page
is hidden or left, and a beacon cannot carry the CSRF header. The route is therefore
exempt from the CSRF middleware and protects itself instead: a request whose
``Sec-Fetch-Site`` is not ``same-origin``, or (from browsers that do not send that
header) whose ``Origin`` is another site, is refused. Browsers always send one of
the two on a POST, so a forged cross-site post never passes; a request with neither
comes from a program that holds its own cookies, not from a victim's browser.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Litestar, Request, post
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.response import Response
from litestar.status_codes import (
    HTTP_202_ACCEPTED,
    HTTP_400_BAD_REQUEST,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from redis.exceptions import RedisError

from nichevid.core.ratelimit import too_many
from nichevid.feed.dedupe import MemoryRecentIds, RedisRecentIds
from nichevid.feed.eventbuffer import BufferFull, MemoryBuffer, RedisBuffer
from nichevid.feed.events import BatchError, EventIngest, VideoLookup, Viewer, decode_batch
from nichevid.feed.events import record_events as record
from nichevid.feed.eventwriter import RowWriter
from nichevid.feed.settings import feed_settings
from nichevid.i18n import gettext
from nichevid.plugins import notify
from nichevid.privacy.consent import may_track

VIEWER_COOKIE = "nv_viewer"
VIEWER_COOKIE_DAYS = 365
STATE_KEY = "watch_events"
# A request body larger than this is refused (413) before it is read whole.
MAX_BODY_BYTES = 256 * 1024
_VIEWER_ID = re.compile(r"^[0-9a-f]{32}$")
_CONTENT_TYPES = ("application/json", "text/plain", "")


def ingest_of(app: Litestar) -> EventIngest:
    """The running app's :class:`EventIngest`."""
    ingest: EventIngest = getattr(app.state, STATE_KEY)
    return ingest


@contextlib.asynccontextmanager
async def watch_events_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Start the buffer's writer with the app; write what is left when it stops."""
    resources = app.state.resources
    settings = feed_settings(resources.settings)
    writer = RowWriter(resources.engine)
    interval, size = settings.events_flush_seconds, settings.events_flush_size
    if resources.redis is not None:
        buffer: Any = RedisBuffer(resources.redis, writer, interval, size)
        seen: Any = RedisRecentIds(resources.redis, settings.events_dedupe_ids)
    else:
        buffer = MemoryBuffer(writer, interval, size)
        seen = MemoryRecentIds(settings.events_dedupe_ids)
    ingest = EventIngest(settings=settings, lookup=VideoLookup(), seen=seen, buffer=buffer)
    setattr(app.state, STATE_KEY, ingest)
    await buffer.start()
    try:
        yield
    finally:
        await buffer.close()


def same_origin(request: Request[Any, Any, Any]) -> bool:
    """Whether ``request`` comes from a page of this site (fetch metadata, else ``Origin``)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    parts = urlsplit(origin)
    if parts.scheme in ("http", "https") and parts.netloc and parts.netloc == host:
        return True
    base = request.app.state.settings.server.base_url.rstrip("/")
    return bool(base) and origin == base


def viewer_cookie(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """The browser's viewer id and whether it is new (then the response sets the cookie)."""
    value = request.cookies.get(VIEWER_COOKIE, "")
    if _VIEWER_ID.match(value):
        return value, False
    return secrets.token_hex(16), True


def new_viewer_cookie(request: Request[Any, Any, Any], value: str) -> Cookie:
    """The ``Set-Cookie`` that gives a browser its viewer id for a year."""
    return Cookie(
        key=VIEWER_COOKIE,
        value=value,
        max_age=VIEWER_COOKIE_DAYS * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.public_url.startswith("https://"),
    )


def _client_ip(request: Request[Any, Any, Any]) -> str:
    # Already resolved from trusted proxy headers by the server.
    return request.client.host if request.client else "unknown"


async def _check_rate(request: Request[Any, Any, Any], viewer: Viewer) -> None:
    resources = request.app.state.resources
    settings = ingest_of(request.app).settings
    limits = (
        (f"events:v:{viewer.key}", settings.events_viewer_per_minute),
        (f"events:ip:{_client_ip(request)}", settings.events_ip_per_minute),
    )
    for key, limit in limits:
        if not limit:
            continue
        verdict = await resources.limiter.hit(key, limit, 60)
        if not verdict.allowed:
            raise too_many(
                verdict,
                gettext(
                    "Too many watch-event requests. Wait %(seconds)s s, "
                    "then send the same events again.",
                    seconds=verdict.retry_after,
                ),
            )


class WatchEventsApi(Controller):
    """Watch events posted by the feed player."""

    path = "/api/events"
    tags = ["feed"]

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        opt={"exclude_from_csrf": True},
        request_max_body_size=MAX_BODY_BYTES,
        summary="Record watch events",
    )
    async def ingest(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Record a batch ``{"events": [...]}`` (JSON, or the text/plain body of a beacon).

        Answers 202 with counts of accepted, duplicate and rejected events (by reason).
        """
        if not same_origin(request):
            raise PermissionDeniedException(
                gettext("Watch events are accepted only from pages of this site.")
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _CONTENT_TYPES:
            raise HTTPException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=gettext(
                    "Content-Type '%(type)s' is not accepted: "
                    "send JSON as application/json or text/plain.",
                    type=content_type,
                ),
            )
        if not may_track(request):
            # No consent yet: nothing is stored and no cookie is set.
            dropped = {"accepted": 0, "rejected": 0, "duplicates": 0, "reasons": {}}
            return Response({**dropped, "consent": "required"}, status_code=HTTP_202_ACCEPTED)
        session_id, new_cookie = viewer_cookie(request)
        user = request.scope.get("user")
        viewer = Viewer(user_id=user.id if user is not None else None, session_id=session_id)
        await _check_rate(request, viewer)
        ingest = ingest_of(request.app)
        try:
            events = decode_batch(await request.body(), ingest.settings.events_max_batch)
        except BatchError as exc:
            raise HTTPException(status_code=HTTP_400_BAD_REQUEST, detail=str(exc)) from None
        try:
            outcome = await record(ingest, viewer, events)
        except (BufferFull, RedisError) as exc:
            # The player keeps the events and sends them again after Retry-After.
            raise HTTPException(
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
                detail=gettext("Watch events cannot be kept right now; send them again in 30 s."),
                headers={"Retry-After": "30"},
            ) from exc
        if outcome.signals:
            await notify(
                request.app.state.pm,
                "viewer_signals",
                request=request,
                viewer=viewer.key,
                signals=outcome.signals,
            )
        cookies = [new_viewer_cookie(request, session_id)] if new_cookie else []
        return Response(outcome.as_dict(), status_code=HTTP_202_ACCEPTED, cookies=cookies)
