"""JSON API of the accounts package; accepts a session or ``Authorization: Bearer``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from nichevid.accounts import services
from nichevid.accounts.guards import requires_login
from nichevid.accounts.web import resources_of
from nichevid.app import BEARER_SCHEME
from nichevid.i18n import gettext


class Me(msgspec.Struct):
    """The signed-in user."""

    id: int
    username: str
    display_name: str
    bio: str
    role: str
    avatar_url: str
    email: str


class Token(msgspec.Struct):
    """A personal API token (its secret is never shown again)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class AccountsApi(Controller):
    """The authenticated user and their API tokens."""

    path = "/api"
    tags = ["accounts"]
    security = [{BEARER_SCHEME: []}]
    guards = [requires_login]

    @get("/me")
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        """Who the session or token belongs to."""
        user = request.scope["user"]
        profile = services.public_profile(user)
        return Me(
            id=user.id,
            username=user.username,
            display_name=profile["display_name"],
            bio=user.bio,
            role=user.role,
            avatar_url=await services.avatar_url(resources_of(request), user),
            email=user.email,
        )

    @get("/tokens")
    async def tokens(self, request: Request[Any, Any, Any]) -> list[Token]:
        """The user's active tokens."""
        infos = await services.list_tokens(request.scope["user"])
        return [Token(i.id, i.name, i.prefix, i.created_at, i.last_used_at) for i in infos]

    @delete("/tokens/{token_id:int}")
    async def revoke(self, request: Request[Any, Any, Any], token_id: FromPath[int]) -> None:
        """Revoke a token (the one in use may revoke itself)."""
        if not await services.revoke_token(request.scope["user"], token_id):
            raise NotFoundException(gettext("You have no active token %(id)s.", id=token_id))
