"""Liking comments and pinning one: the htmx buttons and the JSON API.

The like button sends ``PUT`` to like and ``DELETE`` to take the like back and gets
itself back in its new state, so repeating a request changes nothing. Pinning is a
form (``POST .../pin`` or ``.../unpin``) whose htmx answer is the whole panel, since
the pinned comment moves to its head.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, post, put
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nichevid.accounts.guards import requires_login
from nichevid.app import BEARER_SCHEME
from nichevid.comments import queries, reactions
from nichevid.comments.api import CommentDocument, document_of
from nichevid.comments.routes import (
    check_order,
    closed_reason,
    hidden_for,
    http_error,
    is_htmx,
    render,
    see_other,
)
from nichevid.comments.services import CommentError, no_comment


async def _like(request: Request[Any, Any, Any], comment_id: int, on: bool) -> reactions.LikeState:
    try:
        return await reactions.set_comment_like(
            request.scope["user"], comment_id, on, request.app.state.resources
        )
    except CommentError as exc:
        raise http_error(exc) from exc


async def _pin(request: Request[Any, Any, Any], comment_id: int, on: bool) -> Any:
    try:
        return await reactions.set_pin(
            request.scope["user"], comment_id, on, request.app.state.resources
        )
    except CommentError as exc:
        raise http_error(exc) from exc


class CommentReactions(Controller):
    """The like button of a comment and the creator's pin."""

    path = "/comments"
    tags = ["comments"]
    guards = [requires_login]
    include_in_schema = False

    @put("/{comment_id:int}/like", status_code=HTTP_200_OK)
    async def like(self, request: Request[Any, Any, Any], comment_id: FromPath[int]) -> Template:
        """Like the comment; the button comes back pressed, with the new count."""
        return await self._button(request, comment_id, True)

    @delete("/{comment_id:int}/like", status_code=HTTP_200_OK)
    async def unlike(self, request: Request[Any, Any, Any], comment_id: FromPath[int]) -> Template:
        """Take the like back."""
        return await self._button(request, comment_id, False)

    async def _button(self, request: Request[Any, Any, Any], comment_id: int, on: bool) -> Template:
        state = await _like(request, comment_id, on)
        found = await queries.entry(comment_id)
        if found is None or found.deleted:
            raise http_error(CommentError(404, no_comment()))
        return await render(request, "comments/_like.html", video=state.video, comment=found)

    @post("/{comment_id:int}/pin")
    async def pin(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template | Redirect:
        """Pin the comment above the others (the video's creator only)."""
        return await self._panel(request, comment_id, True)

    @post("/{comment_id:int}/unpin")
    async def unpin(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template | Redirect:
        """Unpin it."""
        return await self._panel(request, comment_id, False)

    async def _panel(
        self, request: Request[Any, Any, Any], comment_id: int, on: bool
    ) -> Template | Redirect:
        video = await _pin(request, comment_id, on)
        form = await request.form()
        order = check_order(str(form.get("order") or "newest"))
        if not is_htmx(request):
            return see_other(f"/v/{video.slug}/comments?order={order}#c-{comment_id}")
        page = await queries.threads(video.id, order=order, hide=await hidden_for(request, video))
        return await render(
            request,
            "comments/_panel.html",
            video=video,
            page=page,
            sheet=form.get("sheet") == "1",
            error="",
            form_text="",
            closed=await closed_reason(request, video),
        )


class LikeDocument(msgspec.Struct):
    """A comment's likes after a change by the caller."""

    comment_id: int
    like_count: int
    liked: bool


class CommentReactionApi(Controller):
    """Like comments and pin one through the JSON API."""

    path = "/api/comments"
    tags = ["comments"]
    guards = [requires_login]
    security = [{BEARER_SCHEME: []}]

    @put("/{comment_id:int}/like", status_code=HTTP_200_OK)
    async def like(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> LikeDocument:
        """Like a comment (liking it again changes nothing)."""
        return self._document(await _like(request, comment_id, True))

    @delete("/{comment_id:int}/like", status_code=HTTP_200_OK)
    async def unlike(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> LikeDocument:
        """Take back your like of a comment."""
        return self._document(await _like(request, comment_id, False))

    def _document(self, state: reactions.LikeState) -> LikeDocument:
        return LikeDocument(state.comment_id, state.likes, state.liked)

    @put("/{comment_id:int}/pin", status_code=HTTP_200_OK)
    async def pin(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> CommentDocument:
        """Pin a top-level comment of your video above the others (unpins the last one)."""
        await _pin(request, comment_id, True)
        return await document_of(request, comment_id)

    @delete("/{comment_id:int}/pin", status_code=HTTP_200_OK)
    async def unpin(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> CommentDocument:
        """Unpin a comment of your video."""
        await _pin(request, comment_id, False)
        return await document_of(request, comment_id)
