"""Server-side sessions that cost nothing for visitors who have none.

Litestar's backend stores a session for every response, even an empty one, and
clears the cookie on every response of a visitor without one. Here an empty
session with no cookie writes nothing and sets no cookie, and an unchanged
session is not written again; everything else behaves as Litestar's backend.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession

LOADED_KEY = "nichevid.session_loaded"


class LazySessionBackend(ServerSideSessionBackend):
    """Writes a session only when there is something new to keep or to clear."""

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[LOADED_KEY] = data  # type: ignore[literal-required]
        return data

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        has_cookie = self.config.key in connection.cookies
        empty = scope_session is Empty or not scope_session
        if empty:
            if not has_cookie:
                return
            scope_session = Empty  # an emptied session is deleted and its cookie cleared
        loaded = connection.scope.get(LOADED_KEY)
        if has_cookie and not empty and loaded is not None and loaded == scope_session:
            return
        await super().store_in_message(scope_session, message, connection)


class LazySessionConfig(ServerSideSessionConfig):
    """``ServerSideSessionConfig`` using :class:`LazySessionBackend`."""

    _backend_class = LazySessionBackend
