"""Comment services: plain async functions for the pages, the API and other packages.

Rules:

* Comments belong to ready videos a viewer may watch: public ones, and followers-only
  or subscribers-only ones for the viewers :func:`nichevid.media.services.may_view`
  admits (the owner, followers, live subscribers). For anyone else every action
  answers "not found", so nothing tells whether a hidden video exists, and a
  notification about a comment there goes only to members who may watch the video.
* One reply level: a reply to a reply is stored under the top-level comment, with
  ``reply_to`` naming the author it answers.
* Authors edit and delete their own comments; moderators and admins delete any.
  A top-level comment that still has replies is erased but kept as "comment deleted";
  once its last reply goes, it goes too.
* Posting is limited to :data:`POSTS_PER_MINUTE` comments per user.
* A creator's comment controls apply (:func:`nichevid.safety.services.check_comment`):
  a block either way, "followers" or "nobody", and their refused words; and a video
  whose comments its creator closed takes no new ones (:mod:`nichevid.comments.closing`).
* A new comment notifies (through :func:`nichevid.social.services.notify`) the video's
  owner (``comment``), the author a reply answers (``reply``) and the users it mentions
  (``mention``), each once, never the author. Edits notify nobody.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from typing import Any

from nichevid.accounts.services import has_role
from nichevid.accounts.tables import User
from nichevid.comments import closing
from nichevid.comments import text as texts
from nichevid.comments.tables import Comment, CommentLike
from nichevid.core.errors import no_video
from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.media.tables import Video
from nichevid.plugins import gate
from nichevid.safety import services as safety
from nichevid.social.services import notify

POSTS_PER_MINUTE = 10
# How much of a comment a notification quotes.
EXCERPT = 200
log = logging.getLogger("nichevid.comments")


def no_comment() -> str:
    """The answer for a comment that does not exist (any more)."""
    return gettext("There is no comment with this id; it may have been deleted.")


class CommentError(Exception):
    """A refused comment action: the HTTP status and a message saying what to do."""

    def __init__(self, status: int, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def _now() -> datetime:
    return datetime.now(UTC)


def json_list(value: Any) -> list[str]:
    """A JSON list column as a Python list (Piccolo hands JSON back as text)."""
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(item) for item in value or []]


async def may_read(resources: Any, video: Video, viewer: Any) -> bool:
    """Whether ``viewer`` may read and write comments on ``video``.

    Open videos are open to all. Age-restricted, followers-only and subscribers-only
    videos are open to the viewers :func:`nichevid.media.services.may_view` admits;
    without ``resources`` (so without plugins to ask) they stay closed. Private videos
    and unfinished ones take no comments.
    """
    if media.is_open(video):
        return True
    if resources is None or video.status != "ready" or video.visibility == "private":
        return False
    return await media.may_view(resources, video, viewer)


async def commentable_video(slug: str, resources: Any = None, viewer: Any = None) -> Video:
    """The ready video ``slug`` names, when ``viewer`` may comment on it (:func:`may_read`).

    Raises:
        CommentError: 404 for an unknown, removed, private or unfinished video, and for
            a gated video (age-restricted, followers-only, subscribers-only) the viewer
            may not watch.
    """
    video = await media.get_video(slug=slug) if 0 < len(slug) <= 16 else None
    if video is None or not await may_read(resources, video, viewer):
        raise CommentError(404, no_video())
    return video


async def get_comment(comment_id: int) -> Comment | None:
    """A comment row by id, or ``None``."""
    return await Comment.objects().where(Comment.id == comment_id).first()


async def open_comment(
    comment_id: int, resources: Any = None, viewer: Any = None, *, staff: bool = False
) -> tuple[Comment, Video]:
    """A comment and its video, when ``viewer`` may read the video's comments.

    Args:
        comment_id: The comment's id.
        resources: The running app's resources (to ask plugins about gated videos).
        viewer: The user asking, or ``None`` when signed out.
        staff: A moderator acting on the comment: any ready video will do, so a report
            about a comment on a gated video can be settled.

    Raises:
        CommentError: 404 for an unknown comment, or one on a video hidden from
            ``viewer``.
    """
    comment = await get_comment(comment_id)
    if comment is None:
        raise CommentError(404, no_comment())
    video = await media.get_video(video_id=comment.video)
    open_to_staff = staff and video is not None and video.status == "ready"
    if video is None or not (open_to_staff or await may_read(resources, video, viewer)):
        raise CommentError(404, no_comment())
    return comment, video


async def known_users(names: list[str]) -> list[str]:
    """The names of ``names`` that belong to active users, in the same order."""
    if not names:
        return []
    rows = await User.select(User.username).where(
        User.username.is_in(names), User.is_active.eq(True)
    )
    existing = {row["username"] for row in rows}
    return [name for name in names if name in existing]


async def _thread_target(video: Video, reply_to: int) -> tuple[int, int]:
    """The top-level comment a reply joins and the author it answers."""
    target = await get_comment(reply_to)
    if target is None or target.deleted_at is not None:
        raise CommentError(
            400, gettext("The comment you reply to does not exist any more; reply to another one.")
        )
    if target.video != video.id:
        raise CommentError(
            400,
            gettext("You can only reply to a comment on the same video; that one is elsewhere."),
        )
    return int(target.parent or target.id), int(target.author)


async def _check_rate(resources: Any, author: User) -> None:
    verdict = await resources.limiter.hit(f"comment:user:{author.id}", POSTS_PER_MINUTE, 60)
    if not verdict.allowed:
        raise CommentError(
            429,
            gettext(
                "You can post %(num)s comments a minute; wait %(seconds)s s and post again.",
                num=POSTS_PER_MINUTE,
                seconds=verdict.retry_after,
            ),
            retry_after=verdict.retry_after,
        )


def _integrity_error(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.IntegrityError) or type(exc).__name__.endswith(
        "ForeignKeyViolationError"
    )


async def post_comment(
    resources: Any, author: User, video: Video, text: str, *, reply_to: int | None = None
) -> Comment:
    """Store a comment of ``author`` on ``video`` (a reply when ``reply_to`` is given).

    Args:
        resources: The running app's resources (its rate limiter).
        author: The signed-in user.
        video: A video from :func:`commentable_video`.
        text: What the user wrote; stored as plain text.
        reply_to: Id of the comment answered; replies to replies join its thread.

    Raises:
        CommentError: 404 when ``author`` may not watch the video, 400 for bad text, a reply to a
            comment elsewhere or a word the creator refuses, 403 when the creator does
            not take comments from ``author`` (a block, followers only, nobody, comments
            of the video closed) or with
            the reason when a plugin's ``comment_accept`` gate refuses, 429 past the rate
            limit. Nothing is stored then.
    """
    if not await may_read(resources, video, author):
        raise CommentError(404, no_video())
    try:
        body = texts.check(text)
    except texts.TextError as exc:
        raise CommentError(400, str(exc)) from exc
    parent, answered = (None, None)
    if reply_to is not None:
        parent, answered = await _thread_target(video, reply_to)
    if await closing.CLOSED.marked(int(video.id)):
        raise CommentError(403, closing.message())
    try:
        await safety.check_comment(author, int(video.owner), body)
    except safety.SafetyError as exc:
        raise CommentError(exc.status, exc.message) from exc
    await _check_rate(resources, author)
    refusal = await gate(
        resources.pm.hook.comment_accept,
        user=author,
        video=video,
        text=body,
        resources=resources,
    )
    if refusal:
        raise CommentError(403, refusal)
    mentions = await known_users(texts.mentions_in(body))
    comment = Comment(
        video=video.id,
        author=author.id,
        parent=parent,
        reply_to=answered,
        text=body,
        mentions=mentions,
        hashtags=texts.hashtags_in(body),
    )
    try:
        await comment.save()
    except Exception as exc:
        if _integrity_error(exc):  # the thread was deleted a moment ago
            raise CommentError(
                400, gettext("The comment you reply to was just deleted; reply to another one.")
            ) from exc
        raise
    await _tell_people(resources, comment, video, author, mentions)
    return comment


async def _tell_people(
    resources: Any, comment: Comment, video: Video, author: User, mentions: list[str]
) -> None:
    """Notify the owner, the author answered and those mentioned, each once, never the author.

    On a followers-only or subscribers-only video only members who may watch it are
    told, so the excerpt never reaches anyone the video is hidden from. A failing
    notification is logged: the comment is posted either way.
    """
    told = {int(author.id)}
    excerpt = comment.text[:EXCERPT]
    recipients: list[tuple[int, str]] = []
    if comment.reply_to is not None:
        recipients.append((int(comment.reply_to), "reply"))
    recipients.append((int(video.owner), "comment"))
    if mentions:
        rows = await User.select(User.id, User.username).where(User.username.is_in(mentions))
        ids = {row["username"]: int(row["id"]) for row in rows}
        recipients += [(ids[name], "mention") for name in mentions if name in ids]
    for recipient, kind in recipients:
        if recipient in told:
            continue
        told.add(recipient)
        if not media.is_open(video) and not await may_watch(resources, video, recipient):
            continue
        try:
            await notify(recipient, kind, author, video=video, text=excerpt)
        except Exception:  # notifications must never lose a posted comment
            log.exception("could not notify user %s of comment %s", recipient, comment.id)


async def may_watch(resources: Any, video: Video, user_id: int) -> bool:
    """Whether the active member ``user_id`` may read ``video``'s comments now."""
    user = await User.objects().where((User.id == user_id) & (User.is_active == True)).first()  # noqa: E712
    return user is not None and await may_read(resources, video, user)


async def edit_comment(user: User, comment_id: int, text: str, resources: Any = None) -> Comment:
    """Replace the text of ``user``'s own comment.

    ``resources`` lets plugins admit ``user`` to a followers-only or subscribers-only
    video; without it only comments on public videos can be edited.

    Raises:
        CommentError: 404 for a missing or deleted comment (or one on a hidden video),
            403 for someone else's, 400 for bad text. Nothing changes then.
    """
    comment, _ = await open_comment(comment_id, resources, user)
    if comment.deleted_at is not None:
        raise CommentError(404, no_comment())
    if comment.author != user.id:
        raise CommentError(403, gettext("You can only edit your own comments."))
    try:
        body = texts.check(text)
    except texts.TextError as exc:
        raise CommentError(400, str(exc)) from exc
    comment.text = body
    comment.mentions = await known_users(texts.mentions_in(body))
    comment.hashtags = texts.hashtags_in(body)
    comment.edited_at = _now()
    await Comment.update(
        {
            Comment.text: comment.text,
            Comment.mentions: comment.mentions,
            Comment.hashtags: comment.hashtags,
            Comment.edited_at: comment.edited_at,
        }
    ).where(Comment.id == comment.id)
    return comment


def may_delete(user: User | None, author_id: int) -> bool:
    """Whether ``user`` may delete a comment written by ``author_id``."""
    if user is None:
        return False
    return user.id == author_id or has_role(user, "moderator")


async def delete_comment(user: User, comment_id: int, resources: Any = None) -> Comment:
    """Delete a comment: its author, or a moderator or admin.

    An author needs to be allowed to watch the video still (``resources`` lets plugins
    admit them to a gated one); moderators and admins delete on any video.

    A top-level comment with replies is erased and kept as "comment deleted"; any other
    comment is removed, and a deleted top-level comment left without replies goes too.

    Returns:
        The comment as it was before (``parent`` says which thread changed).

    Raises:
        CommentError: 404 for a missing or already deleted comment, 403 for someone
            else's comment when ``user`` is not a moderator.
    """
    comment, _ = await open_comment(comment_id, resources, user, staff=has_role(user, "moderator"))
    if comment.deleted_at is not None:
        raise CommentError(404, no_comment())
    if not may_delete(user, int(comment.author)):
        raise CommentError(403, gettext("You can only delete your own comments."))
    if comment.parent is None and await Comment.exists().where(Comment.parent == comment.id):
        await Comment.update(
            {
                Comment.text: "",
                Comment.mentions: [],
                Comment.hashtags: [],
                Comment.deleted_at: _now(),
                Comment.pinned_at: None,
            }
        ).where(Comment.id == comment.id)
        await CommentLike.delete().where(CommentLike.comment == comment.id)
        return comment
    await Comment.delete().where(Comment.id == comment.id)
    if comment.parent is not None:
        # A deleted thread head stays only while someone's reply still needs it.
        orphan = Comment.deleted_at.is_not_null() & (Comment.id == comment.parent)
        if not await Comment.exists().where(Comment.parent == comment.parent):
            await Comment.delete().where(orphan)
    return comment


def parse_cursor(value: str | None) -> int | None:
    """A page cursor from a query string (``None`` for the first page).

    Raises:
        CommentError: 400 when it is not a whole number.
    """
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 18:
        raise CommentError(
            400, gettext("cursor must be the next_cursor value of the previous page.")
        )
    return int(value)
