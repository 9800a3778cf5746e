"""``/admin/announcement``: admins write, change and remove the site's announcement."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from nichevid.accounts.guards import requires_role
from nichevid.accounts.web import see_other, text_field
from nichevid.admin import announcement
from nichevid.admin.announcement import AnnouncementError


class AnnouncementPage(Controller):
    """The form, and what it does."""

    path = "/admin/announcement"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The announcement shown now, in the form that changes it."""
        found = await announcement.current(request.app)
        typed = {"text": found.text, "link": found.link} if found else {}
        return _page(request, found, typed=typed, done=request.query_params.get("done", ""))

    @post("/")
    async def save(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Show a new announcement, or remove it (``remove=1``)."""
        form = await request.form()
        if text_field(form, "remove") == "1":
            await announcement.remove(request.app)
            return see_other("/admin/announcement?done=removed")
        typed = {name: text_field(form, name) for name in ("text", "link", "days")}
        try:
            await announcement.publish(request.app, typed["text"], typed["link"], typed["days"])
        except AnnouncementError as exc:
            found = await announcement.current(request.app)
            return _page(request, found, typed=typed, error=str(exc), status=HTTP_400_BAD_REQUEST)
        return see_other("/admin/announcement?done=saved")


def _page(
    request: Request[Any, Any, Any],
    found: announcement.Announcement | None,
    *,
    typed: dict[str, str],
    done: str = "",
    error: str = "",
    status: int = 200,
) -> Template:
    return Template(
        "admin/announcement.html",
        context={
            "user": request.scope.get("user"),
            "found": found,
            "typed": typed,
            "done": done,
            "error": error,
            "text_max": announcement.TEXT_MAX,
            "link_max": announcement.LINK_MAX,
            "days": announcement.DAYS,
        },
        status_code=status,
    )
