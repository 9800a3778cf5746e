"""Fragments and pages of one comment: show, more replies, reply, edit, delete."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from nichevid.accounts.guards import requires_login
from nichevid.accounts.services import has_role
from nichevid.comments import queries, services
from nichevid.comments.routes import (
    closed_reason,
    count_trigger,
    hidden_for,
    http_error,
    is_htmx,
    render,
    see_other,
)
from nichevid.comments.services import CommentError
from nichevid.i18n import gettext
from nichevid.media.tables import Video


async def _open(request: Request[Any, Any, Any], comment_id: int) -> tuple[queries.Entry, Video]:
    try:
        _, video = await services.open_comment(
            comment_id, request.app.state.resources, request.scope.get("user")
        )
    except CommentError as exc:
        raise http_error(exc) from exc
    found = await queries.entry(comment_id)
    if found is None or found.deleted:
        raise http_error(CommentError(404, services.no_comment()))
    return found, video


def _anchor(video: Video, comment_id: int) -> str:
    return f"/v/{video.slug}/comments#c-{comment_id}"


class CommentItems(Controller):
    """One comment at a time."""

    path = "/comments"
    tags = ["comments"]
    include_in_schema = False

    @get("/{comment_id:int}")
    async def show(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template | Redirect:
        """The comment (htmx: after a cancelled edit); browsers go to it in its thread."""
        found, video = await _open(request, comment_id)
        if not is_htmx(request):
            return see_other(_anchor(video, comment_id))
        return await render(request, "comments/_comment.html", video=video, comment=found)

    @get("/{comment_id:int}/replies")
    async def more_replies(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int], after: FromQuery[int] = 0
    ) -> Template:
        """Replies of a thread after reply ``after`` (htmx list items)."""
        try:
            _, video = await services.open_comment(
                comment_id, request.app.state.resources, request.scope.get("user")
            )
        except CommentError as exc:
            raise http_error(exc) from exc
        replies = await queries.replies_of([comment_id], after=after, limit=queries.REPLIES_PAGE)
        more = len(replies) == queries.REPLIES_PAGE
        hide = await hidden_for(request, video)
        return await render(
            request,
            "comments/_more_replies.html",
            video=video,
            head_id=comment_id,
            replies=hide.keep(replies),
            after=replies[-1].id if replies else after,
            more=more,
        )

    @get("/{comment_id:int}/reply", guards=[requires_login])
    async def reply_form(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template:
        """The form answering one comment (403 with the reason when the creator does not
        take comments from the viewer)."""
        found, video = await _open(request, comment_id)
        closed = await closed_reason(request, video)
        if closed:
            raise http_error(CommentError(403, closed))
        name = "comments/_reply_form.html" if is_htmx(request) else "comments/reply_page.html"
        return await render(request, name, video=video, target=found, error="", form_text="")

    @get("/{comment_id:int}/edit", guards=[requires_login])
    async def edit_form(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template:
        """The form changing one's own comment."""
        found, video = await _open(request, comment_id)
        if not found.can_edit(request.scope["user"]):
            raise PermissionDeniedException(gettext("You can only edit your own comments."))
        name = "comments/_edit_form.html" if is_htmx(request) else "comments/edit_page.html"
        return await render(
            request, name, video=video, comment=found, error="", form_text=found.text
        )

    @post("/{comment_id:int}/edit", guards=[requires_login])
    async def edit(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template | Redirect:
        """Save the new text."""
        form = await request.form()
        body = form.get("text", "")
        body = body if isinstance(body, str) else ""
        try:
            await services.edit_comment(
                request.scope["user"], comment_id, body, request.app.state.resources
            )
        except CommentError as exc:
            if exc.status != 400:
                raise http_error(exc) from exc
            found, video = await _open(request, comment_id)
            name = "comments/_edit_form.html" if is_htmx(request) else "comments/edit_page.html"
            return await render(
                request,
                name,
                status=400,
                video=video,
                comment=found,
                error=exc.message,
                form_text=body,
            )
        found, video = await _open(request, comment_id)
        if not is_htmx(request):
            return see_other(_anchor(video, comment_id))
        return await render(request, "comments/_comment.html", video=video, comment=found)

    @post("/{comment_id:int}/delete", guards=[requires_login])
    async def delete(
        self, request: Request[Any, Any, Any], comment_id: FromPath[int]
    ) -> Template | Redirect:
        """Delete a comment; htmx gets its thread as it is now (nothing when it is gone)."""
        try:
            user, resources = request.scope["user"], request.app.state.resources
            _, video = await services.open_comment(
                comment_id, resources, user, staff=has_role(user, "moderator")
            )
            gone = await services.delete_comment(user, comment_id, resources)
        except CommentError as exc:
            raise http_error(exc) from exc
        if not is_htmx(request):
            return see_other(f"/v/{video.slug}/comments")
        item = await queries.thread(int(gone.parent or gone.id))
        count = (await queries.comment_counts([video.id]))[video.id]
        return await render(
            request,
            "comments/_thread.html",
            headers=count_trigger(video.slug, count),
            video=video,
            item=item,
        )
