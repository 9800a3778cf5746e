"""``/saved``: the videos a member bookmarked, and those they liked, newest first.

Only the member sees these pages; each video shows only while they may still watch
it, and the creators they block (or who block them) are left out.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from nichevid.accounts.guards import requires_login
from nichevid.i18n import gettext
from nichevid.safety import services as safety
from nichevid.social import listing
from nichevid.social.tables import Bookmark, Like

PRIVATE = {"Cache-Control": "private, no-store"}
TABS = {"bookmarks": Bookmark, "liked": Like}


class SavedPages(Controller):
    """The member's bookmarked and liked videos."""

    path = "/saved"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def bookmarks(
        self, request: Request[Any, Any, Any], cursor: FromQuery[int | None] = None
    ) -> Template:
        """The bookmarks tab."""
        return await _tab(request, "bookmarks", cursor)

    @get("/{tab:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        tab: FromPath[str],
        cursor: FromQuery[int | None] = None,
    ) -> Template:
        """One tab's grid (the page, or its next tiles for htmx with ``cursor``)."""
        return await _tab(request, tab, cursor)


async def marked_page(
    request: Request[Any, Any, Any],
    marks: Any,
    cursor: int | None,
    *,
    more_url: str,
    empty: str,
    template: str,
    **page: Any,
) -> Template:
    """The member's videos marked in ``marks`` as ``template``, or, with ``cursor``, the
    next tiles for htmx; never kept by a shared cache."""
    viewer = request.scope["user"]
    hidden = await safety.hidden_from(viewer)
    items, next_cursor = await listing.marked_grid(
        request.app.state.resources, viewer, marks, before=cursor, hide=hidden.ids
    )
    context = {"items": items, "cursor": next_cursor, "more_url": more_url, "empty": empty}
    if cursor is not None:
        return Template("social/_grid_page.html", context=context, headers=PRIVATE)
    return Template(template, context={**context, "user": viewer, **page}, headers=PRIVATE)


async def _tab(request: Request[Any, Any, Any], tab: str, cursor: int | None) -> Template:
    """One tab (``bookmarks`` or ``liked``) as a page, or its next tiles for htmx."""
    marks = TABS.get(tab)
    if marks is None:
        raise NotFoundException(gettext("Choose bookmarks or liked videos."))
    empty = (
        gettext("No bookmarks yet: the bookmark button on a video keeps it here.")
        if tab == "bookmarks"
        else gettext("No liked videos yet.")
    )
    return await marked_page(
        request,
        marks,
        cursor,
        more_url=f"/saved/{tab}",
        empty=empty,
        template="social/saved.html",
        tab=tab,
    )
