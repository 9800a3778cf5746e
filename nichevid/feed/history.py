"""``/history``: the videos a member watched, last watched first, and clearing them.

The grid shows each video once, with the videos the member may no longer watch left
out. Clearing deletes every watch event of the member (after writing those still
waiting in the buffer), so the studio figures and the next model training forget
them too.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from nichevid.accounts.guards import requires_login
from nichevid.feed.events_api import ingest_of
from nichevid.feed.tables import WatchEvent
from nichevid.i18n import gettext
from nichevid.social.saved import marked_page

PAGE = "feed/history.html"


async def clear(app: Any, viewer: Any) -> int:
    """Delete every watch event of ``viewer``; how many there were."""
    await ingest_of(app).buffer.flush()
    count = await WatchEvent.count().where(WatchEvent.viewer == viewer.id)
    await WatchEvent.delete().where(WatchEvent.viewer == viewer.id)
    return int(count)


class HistoryPages(Controller):
    """The member's watch history."""

    path = "/history"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], cursor: FromQuery[int | None] = None
    ) -> Template:
        """The grid (the page, or its next tiles for htmx with ``cursor``)."""
        return await marked_page(
            request,
            WatchEvent,
            cursor,
            more_url="/history",
            empty=gettext("Nothing watched yet, or your history was cleared."),
            template=PAGE,
            cleared=request.query_params.get("cleared"),
        )

    @post("/clear")
    async def clear_all(self, request: Request[Any, Any, Any]) -> Redirect:
        """Forget everything the member watched."""
        count = await clear(request.app, request.scope["user"])
        return Redirect(f"/history?cleared={count}", status_code=303)
