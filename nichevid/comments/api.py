"""JSON API of comments: ``/api/videos/{video_id}/comments`` and ``/api/comments/{id}``.

Scripts send ``Authorization: Bearer <token>``; browsers their session and the
``x-csrftoken`` header. ``text`` is plain text both ways: clients escape it when they
show it (``mentions`` and ``hashtags`` say what to link).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from nichevid.accounts.guards import requires_login
from nichevid.app import BEARER_SCHEME
from nichevid.comments import queries, reactions, services
from nichevid.comments import text as texts
from nichevid.comments.routes import (
    check_order,
    cursor_of,
    hidden_for,
    http_error,
    video_or_404,
)
from nichevid.comments.services import CommentError
from nichevid.feed.signals import member_signal
from nichevid.i18n import gettext
from nichevid.recommend.ratings import Signals


class Author(msgspec.Struct):
    """Who wrote a comment."""

    username: str
    display_name: str


class CommentDocument(msgspec.Struct):
    """A comment; a deleted one that still has replies has no author and no text."""

    id: int
    video_id: str
    parent: int | None
    reply_to: str | None
    author: Author | None
    text: str
    mentions: list[str]
    hashtags: list[str]
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    reply_count: int
    replies: list[CommentDocument]
    like_count: int
    # Whether the caller likes it, and whether the video's creator does.
    liked: bool
    creator_liked: bool
    # The creator pinned it above the others.
    pinned: bool


class CommentPage(msgspec.Struct):
    """One page of a video's comments; pass ``next_cursor`` back as ``cursor``."""

    video_id: str
    count: int
    order: str
    comments: list[CommentDocument]
    next_cursor: str | None


class ReplyPage(msgspec.Struct):
    """Replies of one comment, oldest first; pass ``next_after`` back as ``after``."""

    comments: list[CommentDocument]
    next_after: int | None


class NewComment(msgspec.Struct, forbid_unknown_fields=True):
    """A comment to post; ``reply_to`` is the id of the comment answered."""

    text: str
    reply_to: int | None = None


class CommentChange(msgspec.Struct, forbid_unknown_fields=True):
    """The new text of a comment."""

    text: str


def _document(entry: queries.Entry, slug: str) -> CommentDocument:
    return CommentDocument(
        id=entry.id,
        video_id=slug,
        parent=entry.parent,
        reply_to=entry.reply_to,
        author=None if entry.deleted else Author(entry.username, entry.display_name),
        text=entry.text,
        mentions=entry.mentions,
        hashtags=[] if entry.deleted else texts.hashtags_in(entry.text),
        created_at=entry.created_at,
        edited_at=entry.edited_at,
        deleted=entry.deleted,
        reply_count=entry.reply_count,
        replies=[_document(reply, slug) for reply in entry.replies],
        like_count=entry.like_count,
        liked=entry.liked,
        creator_liked=entry.creator_liked,
        pinned=entry.pinned,
    )


async def document_of(request: Request[Any, Any, Any], comment_id: int) -> CommentDocument:
    """The comment as the API shows it to the caller, or a 404 error."""
    try:
        _, video = await services.open_comment(
            comment_id, request.app.state.resources, request.scope.get("user")
        )
    except CommentError as exc:
        raise http_error(exc) from exc
    found = await queries.entry(comment_id)
    if found is None:
        raise http_error(CommentError(404, services.no_comment()))
    await _mark(request, [found], video)
    return _document(found, video.slug)


async def _mark(request: Request[Any, Any, Any], entries: list[queries.Entry], video: Any) -> None:
    user = request.scope.get("user")
    await reactions.marks(entries, None if user is None else int(user.id), int(video.owner))


class CommentApi(Controller):
    """Read, post, change and delete comments."""

    path = "/api"
    tags = ["comments"]
    security = [{BEARER_SCHEME: []}]

    @get("/videos/{video_id:str}/comments")
    async def list_comments(
        self,
        request: Request[Any, Any, Any],
        video_id: FromPath[str],
        order: FromQuery[str] = "newest",
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = queries.PAGE_SIZE,
    ) -> CommentPage:
        """Top-level comments of a video the caller may watch (``newest`` or ``top`` = most
        likes and replies), each with its first replies, the pinned one first on the first
        page; ``count`` includes replies."""
        if not 1 <= limit <= 100:
            raise HTTPException(status_code=400, detail=gettext("limit must be between 1 and 100."))
        video = await video_or_404(video_id, request.scope.get("user"), request.app.state.resources)
        page = await queries.threads(
            video.id,
            order=check_order(order),
            cursor=cursor_of(cursor),
            limit=limit,
            hide=await hidden_for(request, video),
        )
        await _mark(request, page.threads, video)
        return CommentPage(
            video_id=video.slug,
            count=page.count,
            order=page.order,
            comments=[_document(item, video.slug) for item in page.threads],
            next_cursor=page.next_cursor,
        )

    @post("/videos/{video_id:str}/comments", guards=[requires_login], status_code=HTTP_201_CREATED)
    async def create(
        self, request: Request[Any, Any, Any], video_id: FromPath[str], data: JSONBody[NewComment]
    ) -> Response[CommentDocument]:
        """Post a comment, or a reply with ``reply_to`` (replies to replies join the thread).
        Text: 1 to 500 characters of plain text; 10 comments a minute per user."""
        video = await video_or_404(video_id, request.scope.get("user"), request.app.state.resources)
        try:
            comment = await services.post_comment(
                request.app.state.resources,
                request.scope["user"],
                video,
                data.text,
                reply_to=data.reply_to,
            )
        except CommentError as exc:
            raise http_error(exc) from exc
        await member_signal(request, video.id, Signals(commented=True))
        document = await document_of(request, int(comment.id))
        return Response(
            document,
            status_code=HTTP_201_CREATED,
            headers={"Location": f"/api/comments/{comment.id}"},
        )

    @get("/comments/{comment_id:int}")
    async def read(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> CommentDocument:
        """One comment (without its replies)."""
        return await document_of(request, comment_id)

    @get("/comments/{comment_id:int}/replies")
    async def replies(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int], after: FromQuery[int] = 0
    ) -> ReplyPage:
        """Replies of a top-level comment after reply id ``after``, oldest first (less
        those of accounts the caller blocks or mutes, and those the creator's refused
        words hide)."""
        try:
            _, video = await services.open_comment(
                comment_id, request.app.state.resources, request.scope.get("user")
            )
        except CommentError as exc:
            raise http_error(exc) from exc
        found = await queries.replies_of([comment_id], after=after, limit=queries.REPLIES_PAGE)
        more = len(found) == queries.REPLIES_PAGE
        shown = (await hidden_for(request, video)).keep(found)
        await _mark(request, shown, video)
        return ReplyPage(
            comments=[_document(reply, video.slug) for reply in shown],
            next_after=found[-1].id if more else None,
        )

    @patch("/comments/{comment_id:int}", guards=[requires_login])
    async def change(
        self,
        request: Request[Any, Any, Any],
        comment_id: FromPath[int],
        data: JSONBody[CommentChange],
    ) -> CommentDocument:
        """Change the text of your own comment."""
        try:
            await services.edit_comment(
                request.scope["user"], comment_id, data.text, request.app.state.resources
            )
        except CommentError as exc:
            raise http_error(exc) from exc
        return await document_of(request, comment_id)

    @delete("/comments/{comment_id:int}", guards=[requires_login])
    async def remove(self, request: Request[Any, Any, Any], comment_id: FromPath[int]) -> None:
        """Delete your comment (moderators and admins: any comment)."""
        try:
            await services.delete_comment(
                request.scope["user"], comment_id, request.app.state.resources
            )
        except CommentError as exc:
            raise http_error(exc) from exc
