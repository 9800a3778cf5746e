"""Comment pages and htmx fragments: the panel of a video and posting to it.

One URL serves a full page to a browser without htmx and the fragment to htmx; the
page includes the same partials. Errors of a form come back as that form, with the
message and the text kept (``HX-Retarget`` points htmx at it); ``comments.js`` lets
htmx swap those 4xx answers in.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_login
from nichevid.comments import closing, queries, reactions
from nichevid.comments import text as texts
from nichevid.comments.services import (
    CommentError,
    commentable_video,
    parse_cursor,
    post_comment,
)
from nichevid.core.errors import no_video
from nichevid.feed.signals import member_signal
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.plugins import notify
from nichevid.recommend.ratings import Signals
from nichevid.safety import services as safety

COUNT_EVENT = "nv-comment-count"


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """Whether htmx sent the request (it wants a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def _entries(value: Any, found: list[queries.Entry]) -> None:
    """Collect every comment (thread heads, not their replies) in a template context value."""
    if isinstance(value, queries.Entry):
        found.append(value)
    elif isinstance(value, queries.ThreadPage):
        _entries(value.threads, found)
    elif isinstance(value, dict):
        for item in value.values():
            _entries(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _entries(item, found)


async def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """A comments template with the viewer and the length limit in its context.

    The comments shown are marked with the reader's likes and the creator's
    (:func:`nichevid.comments.reactions.marks`), and plugins read what their comment
    slots show first (``prepare_comments``).
    """
    video = context.get("video")
    if video is not None:
        found: list[queries.Entry] = []
        _entries(list(context.values()), found)
        user = request.scope.get("user")
        await reactions.marks(found, None if user is None else int(user.id), int(video.owner))
        authors = {e.author_id for e in found} | {r.author_id for e in found for r in e.replies}
        await notify(
            request.app.state.pm,
            "prepare_comments",
            request=request,
            video=video,
            author_ids=sorted(authors),
        )
    return Template(
        template_name=template,
        context={"user": request.scope.get("user"), "max_length": texts.MAX_LENGTH, **context},
        status_code=status,
        headers=headers,
    )


def count_trigger(slug: str, count: int) -> dict[str, str]:
    """An ``HX-Trigger`` header telling the page the video's new comment count."""
    return {"HX-Trigger": json.dumps({COUNT_EVENT: {"video": slug, "count": count}})}


def http_error(exc: CommentError) -> HTTPException:
    """The HTTP error of a refused action."""
    if exc.status == 404:
        return NotFoundException(exc.message)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return HTTPException(status_code=exc.status, detail=exc.message, headers=headers)


async def video_or_404(slug: str, viewer: Any = None, resources: Any = None) -> Video:
    """The video ``viewer`` may comment on, or a 404 error (also across a block with its
    creator); ``resources`` lets plugins admit the viewer to a gated video."""
    try:
        video = await commentable_video(slug, resources, viewer)
    except CommentError as exc:
        raise http_error(exc) from exc
    if viewer is not None and await safety.blocked_between(viewer, int(video.owner)):
        raise http_error(CommentError(404, no_video()))
    return video


async def hidden_for(request: Request[Any, Any, Any], video: Video) -> queries.Hidden:
    """What the viewer does not see of ``video``'s comments: authors they block or mute
    (or who block them), and comments holding a word the creator refuses."""
    user = request.scope.get("user")
    return queries.Hidden(
        authors=(await safety.hidden_from(user)).ids,
        words=tuple((await safety.prefs_of(int(video.owner))).comment_keywords),
        reader=None if user is None else int(user.id),
    )


async def closed_reason(request: Request[Any, Any, Any], video: Video) -> str:
    """Why the viewer may not comment on ``video`` (``""`` when they may, or may after
    signing in): the panel shows it in place of the form."""
    if await closing.CLOSED.marked(int(video.id)):
        return closing.message()
    closed = await safety.comment_closed(request.scope.get("user"), int(video.owner))
    return "" if closed is None else closed.message


def check_order(value: str) -> queries.Order:
    """The ordering asked for, or a 400 error naming the choices."""
    for order in queries.ORDERS:
        if value == order:
            return order
    raise HTTPException(status_code=400, detail=gettext("order must be newest or top."))


def cursor_of(value: str | None) -> int | None:
    """A page cursor, or a 400 error."""
    try:
        return parse_cursor(value)
    except CommentError as exc:
        raise http_error(exc) from exc


def _reply_target(raw: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 18:
        raise CommentError(400, gettext("reply_to must be the id of the comment you answer."))
    return int(raw)


class CommentPanel(Controller):
    """The comments of one video: panel, page, more pages, posting."""

    path = "/v"
    tags = ["comments"]
    include_in_schema = False

    @get("/{slug:str}/comments")
    async def panel(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        order: FromQuery[str] = "newest",
        cursor: FromQuery[str | None] = None,
        sheet: FromQuery[bool] = False,
    ) -> Template:
        """The comments panel (htmx), the next threads (htmx with ``cursor``) or a page."""
        video = await video_or_404(slug, request.scope.get("user"), request.app.state.resources)
        page = await queries.threads(
            video.id,
            order=check_order(order),
            cursor=cursor_of(cursor),
            hide=await hidden_for(request, video),
        )
        context: dict[str, Any] = {
            "video": video,
            "page": page,
            "sheet": sheet,
            "error": "",
            "form_text": "",
            "closed": await closed_reason(request, video),
        }
        if is_htmx(request):
            name = "comments/_more_threads.html" if cursor else "comments/_panel.html"
            return await render(request, name, **context)
        return await render(request, "comments/page.html", **context)

    @post("/{slug:str}/comments", guards=[requires_login])
    async def create(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Template | Redirect:
        """Post a comment or a reply from a form."""
        video = await video_or_404(slug, request.scope.get("user"), request.app.state.resources)
        form = await request.form()
        body = form.get("text", "")
        body = body if isinstance(body, str) else ""
        sheet = form.get("sheet") == "1"
        raw_target = form.get("reply_to", "")
        raw_target = raw_target if isinstance(raw_target, str) else ""
        reply_to: int | None = None
        try:
            reply_to = _reply_target(raw_target)
            comment = await post_comment(
                request.app.state.resources, request.scope["user"], video, body, reply_to=reply_to
            )
        except CommentError as exc:
            if exc.status in (403, 404):
                raise http_error(exc) from exc
            return await self._form_error(request, video, exc, body, reply_to, sheet)
        await member_signal(request, video.id, Signals(commented=True))
        if not is_htmx(request):
            return Redirect(
                path=f"/v/{video.slug}/comments#c-{comment.id}", status_code=HTTP_303_SEE_OTHER
            )
        count = (await queries.comment_counts([video.id]))[video.id]
        headers = count_trigger(video.slug, count)
        if comment.parent is not None:
            item = await queries.thread(int(comment.parent), hide=await hidden_for(request, video))
            return await render(
                request, "comments/_thread.html", headers=headers, video=video, item=item
            )
        page = await queries.threads(video.id, hide=await hidden_for(request, video))
        return await render(
            request,
            "comments/_panel.html",
            headers=headers,
            video=video,
            page=page,
            sheet=sheet,
            error="",
            form_text="",
        )

    async def _form_error(
        self,
        request: Request[Any, Any, Any],
        video: Video,
        exc: CommentError,
        body: str,
        reply_to: int | None,
        sheet: bool,
    ) -> Template:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        context: dict[str, Any] = {
            "video": video,
            "error": exc.message,
            "form_text": body,
            "sheet": sheet,
        }
        if reply_to is not None:
            target = await queries.entry(reply_to)
            context["target"] = target or {"id": reply_to, "username": ""}
        if is_htmx(request):
            if reply_to is not None:
                form_id, template = f"#nv-reply-form-{reply_to}", "comments/_reply_form.html"
            else:
                form_id, template = f"#nv-comment-form-{video.slug}", "comments/_form.html"
            headers |= {"HX-Retarget": form_id, "HX-Reswap": "outerHTML"}
            return await render(request, template, status=exc.status, headers=headers, **context)
        if reply_to is not None:
            template = "comments/reply_page.html"
            return await render(request, template, status=exc.status, headers=headers, **context)
        page = await queries.threads(video.id, hide=await hidden_for(request, video))
        return await render(
            request, "comments/page.html", status=exc.status, headers=headers, page=page, **context
        )


def see_other(path: str) -> Redirect:
    """A 303 redirect (a form POST becomes a GET)."""
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)
