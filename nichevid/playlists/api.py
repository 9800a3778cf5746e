"""JSON API of playlists: ``/api/users/{username}/playlists`` and ``/api/playlists/{id}``.

Reading is open to all; creators change their own playlists with a Bearer token (or
their session and the ``x-csrftoken`` header). Refusals answer with the status and a
``detail`` saying what to do, as the studio's forms do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from nichevid.accounts.guards import requires_login
from nichevid.accounts.services import get_user_by_username
from nichevid.app import BEARER_SCHEME
from nichevid.i18n import gettext
from nichevid.playlists import listing, reading, services
from nichevid.playlists.routes import public_playlist
from nichevid.playlists.services import PlaylistError
from nichevid.safety import services as safety


class PlaylistSummary(msgspec.Struct):
    """A playlist; ``videos`` counts the ones that are out (ready and not private)."""

    id: int
    username: str
    title: str
    description: str
    videos: int
    url: str


class PlaylistDocument(msgspec.Struct):
    """A playlist with the ids of the videos the caller may watch (its owner: all of
    them), first part first."""

    id: int
    username: str
    title: str
    description: str
    video_ids: list[str]
    url: str


class NewPlaylist(msgspec.Struct, forbid_unknown_fields=True):
    """A playlist to make."""

    title: str
    description: str = ""


class PlaylistChange(msgspec.Struct, forbid_unknown_fields=True):
    """New title or description (what is left out stays)."""

    title: str | None = None
    description: str | None = None


class PlaylistOrder(msgspec.Struct, forbid_unknown_fields=True):
    """Every video of the playlist, once each, first part first."""

    video_ids: list[str]


@contextlib.contextmanager
def _answering() -> Iterator[None]:
    """Turn a refused change into its HTTP error (status and what to do)."""
    try:
        yield
    except PlaylistError as exc:
        if exc.status == 404:
            raise NotFoundException(exc.message) from exc
        raise HTTPException(status_code=exc.status, detail=exc.message) from exc


def _summary(found: reading.Summary) -> PlaylistSummary:
    return PlaylistSummary(
        found.id, found.username, found.title, found.description, found.videos, found.url
    )


class PlaylistApi(Controller):
    """Read playlists."""

    path = "/api"
    tags = ["playlists"]
    security = [{BEARER_SCHEME: []}]

    @get("/users/{username:str}/playlists")
    async def of_member(
        self, request: Request[Any, Any, Any], username: FromPath[str]
    ) -> list[PlaylistSummary]:
        """A member's playlists, last changed first."""
        member = await get_user_by_username(username)
        hidden = await safety.hidden_from(request.scope.get("user"))
        if member is None or not member.is_active or int(member.id) in hidden.blocked:
            raise NotFoundException(
                gettext("There is no member called %(name)s.", name=repr(username))
            )
        return [_summary(found) for found in await reading.playlists_of(int(member.id))]

    @get("/playlists/{playlist_id:int}")
    async def one(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int]
    ) -> PlaylistDocument:
        """One playlist and its videos in order (those the caller may watch)."""
        return await _document(request, playlist_id)

    @post("/playlists", guards=[requires_login], status_code=HTTP_201_CREATED)
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[NewPlaylist]
    ) -> Response[PlaylistDocument]:
        """Make a playlist (creators: up to 50; titles of 1 to 80 characters)."""
        with _answering():
            made = await services.create_playlist(
                request.scope["user"], data.title, data.description
            )
        document = await _document(request, int(made.id))
        return Response(
            document,
            status_code=HTTP_201_CREATED,
            headers={"Location": f"/api/playlists/{made.id}"},
        )

    @patch("/playlists/{playlist_id:int}", guards=[requires_login])
    async def change(
        self,
        request: Request[Any, Any, Any],
        playlist_id: FromPath[int],
        data: JSONBody[PlaylistChange],
    ) -> PlaylistDocument:
        """Change the title or the description of your playlist."""
        user = request.scope["user"]
        with _answering():
            playlist = await services.own_playlist(user, playlist_id)
            await services.edit_playlist(
                user,
                playlist_id,
                playlist.title if data.title is None else data.title,
                playlist.description if data.description is None else data.description,
            )
        return await _document(request, playlist_id)

    @delete("/playlists/{playlist_id:int}", guards=[requires_login])
    async def remove(self, request: Request[Any, Any, Any], playlist_id: FromPath[int]) -> None:
        """Delete your playlist (moderators: anyone's); its videos stay."""
        with _answering():
            await services.delete_playlist(request.scope["user"], playlist_id)

    @put(
        "/playlists/{playlist_id:int}/videos/{video_id:str}",
        guards=[requires_login],
        status_code=HTTP_200_OK,
    )
    async def add(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int], video_id: FromPath[str]
    ) -> PlaylistDocument:
        """Put one of your videos at the end (nothing changes when it is there already)."""
        user = request.scope["user"]
        with _answering():
            lines = await listing.studio_lines((await services.own_playlist(user, playlist_id)).id)
            if video_id not in {line.slug for line in lines}:
                await services.add_video(user, playlist_id, video_id)
        return await _document(request, playlist_id)

    @delete(
        "/playlists/{playlist_id:int}/videos/{video_id:str}",
        guards=[requires_login],
        status_code=HTTP_200_OK,
    )
    async def take_out(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int], video_id: FromPath[str]
    ) -> PlaylistDocument:
        """Take a video out of your playlist (it stays on your profile)."""
        with _answering():
            await services.remove_video(request.scope["user"], playlist_id, video_id)
        return await _document(request, playlist_id)

    @put("/playlists/{playlist_id:int}/order", guards=[requires_login], status_code=HTTP_200_OK)
    async def order(
        self,
        request: Request[Any, Any, Any],
        playlist_id: FromPath[int],
        data: JSONBody[PlaylistOrder],
    ) -> PlaylistDocument:
        """Put your playlist's videos in a new order: name each of them once."""
        with _answering():
            await services.set_order(request.scope["user"], playlist_id, data.video_ids)
        return await _document(request, playlist_id)


async def _document(request: Request[Any, Any, Any], playlist_id: int) -> PlaylistDocument:
    """The playlist with the videos the caller may watch, or a 404 error."""
    found = await reading.summary(playlist_id)
    if found is None:
        raise NotFoundException(services.no_playlist())
    found, items = await public_playlist(request, found.username, playlist_id)
    user = request.scope.get("user")
    if user is not None and int(user.id) == found.owner_id:
        # The owner sees every video of theirs in it, also the ones not out yet.
        slugs = [line.slug for line in await listing.studio_lines(playlist_id)]
    else:
        slugs = [item.slug for item in items]
    return PlaylistDocument(
        found.id, found.username, found.title, found.description, slugs, found.url
    )
