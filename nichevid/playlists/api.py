"""JSON API of playlists: ``/api/users/{username}/playlists`` and ``/api/playlists/{id}``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from nichevid.accounts.services import get_user_by_username
from nichevid.app import BEARER_SCHEME
from nichevid.i18n import gettext
from nichevid.playlists import services
from nichevid.playlists.routes import public_playlist
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
    """A playlist with the ids of the videos the caller may watch, first part first."""

    id: int
    username: str
    title: str
    description: str
    video_ids: list[str]
    url: str


def _summary(found: services.Summary) -> PlaylistSummary:
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
        return [_summary(found) for found in await services.playlists_of(int(member.id))]

    @get("/playlists/{playlist_id:int}")
    async def one(
        self, request: Request[Any, Any, Any], playlist_id: FromPath[int]
    ) -> PlaylistDocument:
        """One playlist and its videos in order (those the caller may watch)."""
        found = await services.summary(playlist_id)
        if found is None:
            raise NotFoundException(services.no_playlist())
        found, items = await public_playlist(request, found.username, playlist_id)
        return PlaylistDocument(
            found.id,
            found.username,
            found.title,
            found.description,
            [item.slug for item in items],
            found.url,
        )
