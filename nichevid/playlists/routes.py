"""Playlist pages: the public page of one, and the creator's own in the studio.

The studio's are plain forms that answer with a redirect (303) once done, or with the
page again, the message and what was typed kept, when something was refused.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from nichevid.accounts.guards import requires_role
from nichevid.accounts.services import get_user_by_id, has_role
from nichevid.accounts.web import see_other, text_field
from nichevid.media.upload_page import visibility_labels
from nichevid.playlists import listing, reading, services
from nichevid.playlists.services import PlaylistError
from nichevid.safety import services as safety
from nichevid.share.meta import site_base
from nichevid.studio.routes import status_labels


async def public_playlist(request: Request[Any, Any, Any], username: str, playlist_id: int) -> Any:
    """The playlist ``playlist_id`` of ``username`` as the viewer may see it, or a 404
    error (also when its creator blocks the viewer or either blocks the other)."""
    found = await reading.summary(playlist_id)
    viewer = request.scope.get("user")
    hidden = await safety.hidden_from(viewer)
    if found is None or found.username != username or found.owner_id in hidden.blocked:
        raise NotFoundException(services.no_playlist())
    items = await listing.playlist_grid(
        request.app.state.resources, playlist_id, viewer, hide=hidden.blocked
    )
    return found, items


class PlaylistPages(Controller):
    """``/u/<name>/playlists/<id>``: a playlist's videos in order."""

    path = "/u"
    tags = ["playlists"]
    include_in_schema = False

    @get("/{username:str}/playlists/{playlist_id:int}")
    async def page(
        self, request: Request[Any, Any, Any], username: FromPath[str], playlist_id: FromPath[int]
    ) -> Template:
        """The playlist's title, description and videos, first part first."""
        found, items = await public_playlist(request, username, playlist_id)
        viewer = request.scope.get("user")
        mine = viewer is not None and int(viewer.id) == found.owner_id
        seen = await listing.watched(viewer, [item.slug for item in items])
        # Where to go on: the first part not watched yet (from the start when all were).
        resume = next((n for n, item in enumerate(items) if item.slug not in seen), 0)
        return Template(
            "playlists/page.html",
            context={
                "user": viewer,
                "playlist": found,
                "items": items,
                "seen": seen,
                "resume": resume if seen else 0,
                "mine": mine,
                "moderating": not mine and has_role(viewer, "moderator"),
                "base_url": site_base(request),
            },
            # A signed-in viewer may be shown gated videos, with media signed for them.
            headers={"Cache-Control": "private, no-store"} if viewer is not None else None,
        )


def _back(playlist_id: int, done: str) -> Redirect:
    return see_other(f"/studio/playlists/{playlist_id}?done={done}")


class StudioPlaylists(Controller):
    """``/studio/playlists``: make, fill, order and delete one's playlists."""

    path = "/studio/playlists"
    guards = [requires_role("creator")]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        """The creator's playlists and the form making a new one."""
        return await self._overview(request)

    async def _overview(
        self, request: Request[Any, Any, Any], *, error: str = "", status: int = 200, **typed: str
    ) -> Template:
        user = request.scope["user"]
        context = {
            "user": user,
            "playlists": await reading.playlists_of(int(user.id)),
            "error": error,
            "typed": typed,
            "done": request.query_params.get("done", ""),
            "title_max": services.TITLE_MAX,
            "description_max": services.DESCRIPTION_MAX,
        }
        return Template("playlists/studio.html", context=context, status_code=status)

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Make a playlist; its page comes next, to put videos in it."""
        form = await request.form()
        title, description = text_field(form, "title"), text_field(form, "description")
        try:
            made = await services.create_playlist(request.scope["user"], title, description)
        except PlaylistError as exc:
            return await self._overview(
                request,
                error=exc.message,
                status=exc.status,
                title=title,
                description=description,
            )
        return _back(int(made.id), "created")

    @get("/{playlist_id:int}")
    async def edit_page(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int]
    ) -> Template:
        """One playlist: its title and description, its videos in order, videos to add."""
        return await self._edit(request, playlist_id)

    async def _edit(
        self,
        request: Request[Any, Any, Any],
        playlist_id: int,
        *,
        error: str = "",
        status: int = 200,
        **typed: str,
    ) -> Template:
        user = request.scope["user"]
        try:
            playlist = await services.own_playlist(user, playlist_id)
        except PlaylistError as exc:
            raise NotFoundException(exc.message) from exc
        context = {
            "user": user,
            "playlist": playlist,
            "lines": await listing.studio_lines(playlist_id),
            "unplaced": await listing.unplaced_videos(int(user.id)),
            "error": error,
            "typed": typed,
            "done": request.query_params.get("done", ""),
            "statuses": status_labels(),
            "visibilities": visibility_labels(),
            "title_max": services.TITLE_MAX,
            "description_max": services.DESCRIPTION_MAX,
        }
        return Template("playlists/studio_edit.html", context=context, status_code=status)

    async def _act(
        self, request: Request[Any, Any, Any], playlist_id: int, action: Any, done: str
    ) -> Template | Redirect:
        """Run ``action(form)``; back to the page with ``done``, or the page with the reason."""
        form = await request.form()
        try:
            await action(form)
        except PlaylistError as exc:
            # Another member's or a deleted playlist: the page itself answers 404.
            typed = {
                name: text_field(form, name) for name in ("title", "description") if name in form
            }
            return await self._edit(
                request, playlist_id, error=exc.message, status=exc.status, **typed
            )
        return _back(playlist_id, done)

    @post("/{playlist_id:int}")
    async def edit(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int]
    ) -> Template | Redirect:
        """Save the title and description."""
        user = request.scope["user"]

        async def save(form: Any) -> None:
            await services.edit_playlist(
                user, playlist_id, text_field(form, "title"), text_field(form, "description")
            )

        return await self._act(request, playlist_id, save, "saved")

    @post("/{playlist_id:int}/add")
    async def add(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int]
    ) -> Template | Redirect:
        """Put a video at the end."""
        user = request.scope["user"]

        async def add(form: Any) -> None:
            await services.add_video(user, playlist_id, text_field(form, "video"))

        return await self._act(request, playlist_id, add, "added")

    @post("/{playlist_id:int}/remove")
    async def remove(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int]
    ) -> Template | Redirect:
        """Take a video out (it stays on the profile)."""
        user = request.scope["user"]

        async def remove(form: Any) -> None:
            await services.remove_video(user, playlist_id, text_field(form, "video"))

        return await self._act(request, playlist_id, remove, "removed")

    @post("/{playlist_id:int}/move")
    async def move(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int]
    ) -> Template | Redirect:
        """Move a video one place up (``step=-1``) or down (``step=1``)."""
        user = request.scope["user"]

        async def move(form: Any) -> None:
            step = text_field(form, "step")
            if step not in ("-1", "1"):
                raise PlaylistError(400, services.one_step())
            await services.move_video(user, playlist_id, text_field(form, "video"), int(step))

        return await self._act(request, playlist_id, move, "moved")

    @post("/{playlist_id:int}/delete")
    async def delete(self, request: Request[Any, Any, Any], playlist_id: FromPath[int]) -> Redirect:
        """Delete the playlist (moderators: anyone's); its videos stay."""
        user = request.scope["user"]
        try:
            gone = await services.delete_playlist(user, playlist_id)
        except PlaylistError as exc:
            raise HTTPException(status_code=exc.status, detail=exc.message) from exc
        if int(gone.owner) != int(user.id):
            owner = await get_user_by_id(int(gone.owner))
            where = f"/u/{owner.username}" if owner is not None else "/"
            return see_other(where)
        return see_other("/studio/playlists?done=deleted")
