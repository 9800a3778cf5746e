"""A short shared cache of pages as anonymous visitors see them.

A route opts in with ``opt={"anonymous_cache": True}``. For ``server.page_cache_seconds``
after a render, a GET from a visitor with no session cookie and no bearer token is
answered from this process's memory with the same bytes, before sessions, auth,
metrics and CSRF run: what a first visit costs is a dictionary look-up. The page
itself carries nothing personal (the CSRF token is read from its cookie by the page,
see ``base.html``), and every visitor without a CSRF cookie still gets one of their own.
Signed-in visitors, visitors holding the route's ``personal_cookie``, htmx fragments
with a different query and other routes are never served from here.

Stale while revalidating: for ``server.page_cache_stale_seconds`` after a page
expires, the next visitor still gets the kept bytes at once while one render of the
fresh page runs in the background and replaces them; no visitor waits for a render
of a page that was asked for in that time. After that, a visitor waits for it. At most
:data:`REFRESHES` background renders run at once, the others wait their turn while
their pages are still served: after a quiet spell every kept page goes stale together,
and rendering them all at once would hold up every visitor's request behind them.

One render per page at a time: visitors who ask for a page nobody holds while it is
being rendered wait for that render and get its bytes, instead of each rendering the
same page (after a quiet spell, every visitor of a busy page would otherwise render
it at once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from litestar.middleware.csrf import generate_csrf_token
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, Scope, Send
from prometheus_client import Counter

OPT_KEY = "anonymous_cache"
# A route may name a cookie (``opt={"personal_cookie": name}``) whose holders get a page
# of their own: the For You feed of a browser the recommender already knows.
PERSONAL_COOKIE_KEY = "personal_cookie"
# The visitor's chosen language: pages differ by it, as by Accept-Language.
LANG_COOKIE = b"nv_lang="
MAX_ENTRIES = 256
MAX_BODY = 1024 * 1024
REFRESHES = 2
HITS = Counter("nichevid_page_cache_hits", "Pages served from the anonymous page cache")
STALE_HITS = Counter(
    "nichevid_page_cache_stale_hits", "Expired pages served while a fresh render runs"
)
log = logging.getLogger("nichevid.pagecache")


@dataclass
class Entry:
    """A cached response: its start message headers, body and expiry (monotonic seconds)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float


class AnonymousPageCache:
    """ASGI middleware serving opted-in pages to anonymous visitors from memory."""

    def __init__(
        self,
        app: ASGIApp,
        ttl: float,
        session_cookie: str,
        csrf: Any,
        csrf_cookie: str,
        stale: float = 0.0,
    ) -> None:
        self.app = app
        self.ttl = ttl
        self.stale = stale
        # Keys being rendered in the background, and the tasks doing it (kept referenced).
        self.refreshing: set[tuple[bytes, ...]] = set()
        # Keys being rendered for a visitor, done when the render ends (kept or not).
        self.rendering: dict[tuple[bytes, ...], asyncio.Event] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.refresh_slots = asyncio.Semaphore(REFRESHES)
        self.session_cookie = session_cookie.encode() + b"="
        self.csrf = csrf  # the CSRF middleware: its secret and its cookie header
        self.csrf_cookie = csrf_cookie.encode() + b"="
        self.entries: OrderedDict[tuple[bytes, ...], Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if (
            self.ttl <= 0
            or scope["type"] != "http"
            or scope.get("method") != "GET"
            or handler is None
            or not handler.opt.get(OPT_KEY)
        ):
            await self.app(scope, receive, send)
            return
        cookies = b""
        vary: list[bytes] = []
        for name, value in scope["headers"]:
            if name == b"authorization":
                await self.app(scope, receive, send)
                return
            if name == b"cookie":
                cookies = value
                parts = (part.strip() for part in value.split(b";"))
                vary.extend(part for part in parts if part.startswith(LANG_COOKIE))
            elif name in (b"hx-request", b"accept-language"):
                vary.append(name + b":" + value)
            elif name == b"accept-encoding" and b"gzip" in value:
                # Kept compressed for those who accept it, plain for the others.
                vary.append(b"gzip")
        personal = handler.opt.get(PERSONAL_COOKIE_KEY)
        if self.session_cookie in cookies or (personal and personal.encode() + b"=" in cookies):
            await self.app(scope, receive, send)
            return
        key = (scope["path"].encode(), scope["query_string"], *sorted(vary))
        entry = self.entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.expires > now:
            HITS.inc()
            await self._replay(entry, self.csrf_cookie not in cookies, send)
            return
        if entry is not None and entry.expires + self.stale > now:
            STALE_HITS.inc()
            self._refresh(key, scope)
            await self._replay(entry, self.csrf_cookie not in cookies, send)
            return
        underway = self.rendering.get(key)
        if underway is not None:
            await underway.wait()
            entry = self.entries.get(key)
            if entry is not None and entry.expires > time.monotonic():
                HITS.inc()
                await self._replay(entry, self.csrf_cookie not in cookies, send)
                return
            # That render was not kept (an error page, too big): this visitor's own.
        await self._render_and_keep(key, scope, receive, send)

    def _refresh(self, key: tuple[bytes, ...], scope: Scope) -> None:
        """Render ``key`` afresh in the background (once at a time per key)."""
        if key in self.refreshing:
            return
        self.refreshing.add(key)
        task = asyncio.create_task(self._render_quietly(key, scope))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _render_quietly(self, key: tuple[bytes, ...], scope: Scope) -> None:
        fresh: Any = {**scope, "state": dict(scope.get("state") or {})}

        async def receive() -> HTTPRequestEvent:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def nowhere(message: Message) -> None:
            return None

        try:
            async with self.refresh_slots:
                await self._render_and_keep(key, fresh, receive, nowhere)
        except Exception:  # a failed refresh keeps the old page until it goes stale
            log.exception("background render of %s failed", scope.get("path"))
        finally:
            self.refreshing.discard(key)

    async def _replay(self, entry: Entry, needs_csrf_cookie: bool, send: Send) -> None:
        start: dict[str, Any] = {
            "type": "http.response.start",
            "status": entry.status,
            "headers": list(entry.headers),
        }
        if needs_csrf_cookie:
            self.csrf._set_cookie_if_needed(start, generate_csrf_token(self.csrf.config.secret))
        await send(start)  # type: ignore[arg-type]
        await send({"type": "http.response.body", "body": entry.body, "more_body": False})

    async def _render_and_keep(
        self, key: tuple[bytes, ...], scope: Scope, receive: Receive, send: Send
    ) -> None:
        captured: dict[str, Any] = {"body": [], "size": 0, "ok": True}

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"set-cookie"
                ]
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                captured["size"] += len(body)
                captured["body"].append(body)
                if captured["size"] > MAX_BODY:
                    captured["ok"] = False
                if not message.get("more_body", False) and captured["ok"]:
                    self._store(key, captured)
            await send(message)

        # The first render of a key is the one others wait for; a later one runs alongside.
        owned = key not in self.rendering
        if owned:
            self.rendering[key] = asyncio.Event()
        try:
            await self.app(scope, receive, keep)
        finally:
            if owned:
                self.rendering.pop(key).set()

    def _store(self, key: tuple[bytes, ...], captured: dict[str, Any]) -> None:
        if captured.get("status") != 200:
            return
        self.entries[key] = Entry(
            captured["status"],
            captured["headers"],
            b"".join(captured["body"]),
            time.monotonic() + self.ttl,
        )
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)
