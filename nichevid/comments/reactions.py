"""Comment likes and the comment a creator pins above the others.

Rules:

* Any signed-in member who may read a video's comments likes a comment at most
  once; liking again, or taking back a like that is not there, changes nothing.
  Replies and deleted comments cannot be liked, nor comments across a block.
* A new like tells the comment's author once per video and member
  (``comment_like``, quoting the comment), never the member themself, and only
  while the author may still watch the video.
* The video's creator pins one top-level comment; pinning another unpins the first.
  The pinned comment heads the panel in either order (:mod:`nichevid.comments.queries`).
* Readers see who liked nothing but the count, their own like and whether the
  creator liked a comment (:func:`marks`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.comments.queries import Entry
from nichevid.comments.services import (
    EXCERPT,
    CommentError,
    may_watch,
    no_comment,
    open_comment,
)
from nichevid.comments.tables import Comment, CommentLike
from nichevid.db import writing
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.safety import services as safety
from nichevid.social.services import notify

log = logging.getLogger("nichevid.comments")
_C, _L = Comment._meta.tablename, CommentLike._meta.tablename


@dataclass(frozen=True)
class LikeState:
    """A comment's likes as one member sees them after a change."""

    comment_id: int
    likes: int
    liked: bool
    video: Video


async def _likeable(viewer: Any, comment_id: int, resources: Any) -> tuple[Comment, Video]:
    comment, video = await open_comment(comment_id, resources, viewer)
    if comment.deleted_at is not None or await safety.blocked_between(viewer, int(comment.author)):
        raise CommentError(404, no_comment())
    return comment, video


async def like_count(comment_id: int) -> int:
    """How many members like the comment."""
    return int(await CommentLike.count().where(CommentLike.comment == comment_id))


async def set_comment_like(viewer: Any, comment_id: int, on: bool, resources: Any) -> LikeState:
    """Like (``on=True``) or unlike a comment as ``viewer``.

    Raises:
        CommentError: 404 for a comment that is gone, on a video hidden from
            ``viewer``, or across a block with its author. Nothing changes then.
    """
    comment, video = await _likeable(viewer, comment_id, resources)
    viewer_id = int(viewer.id)
    async with writing(CommentLike):
        if on:
            changed = await CommentLike.raw(
                f"INSERT INTO {_L} (viewer, comment) VALUES ({{}}, {{}}) "  # noqa: S608
                "ON CONFLICT (viewer, comment) DO NOTHING RETURNING id",
                viewer_id,
                comment_id,
            )
        else:
            changed = await CommentLike.raw(
                f"DELETE FROM {_L} WHERE viewer = {{}} AND comment = {{}} RETURNING id",  # noqa: S608
                viewer_id,
                comment_id,
            )
    if changed and on:
        await _tell_author(resources, comment, video, viewer)
    return LikeState(comment_id, await like_count(comment_id), on, video)


async def _tell_author(resources: Any, comment: Comment, video: Video, viewer: Any) -> None:
    author = int(comment.author)
    if author == int(viewer.id) or not await may_watch(resources, video, author):
        return
    try:
        await notify(author, "comment_like", viewer, video=video, text=comment.text[:EXCERPT])
    except Exception:  # the like is kept whether or not the author hears of it
        log.exception("could not notify user %s of a like of comment %s", author, comment.id)


async def set_pin(user: Any, comment_id: int, on: bool, resources: Any) -> Video:
    """Pin a top-level comment above the others of its video (``on=True``), or unpin it.

    Returns:
        The comment's video.

    Raises:
        CommentError: 404 for a comment that is gone or hidden from ``user``; 403 when
            ``user`` is not the video's creator; 400 for a reply.
    """
    comment, video = await open_comment(comment_id, resources, user)
    if comment.deleted_at is not None:
        raise CommentError(404, no_comment())
    if int(video.owner) != int(user.id):
        raise CommentError(403, gettext("Only the video's creator can pin its comments."))
    if comment.parent is not None:
        raise CommentError(400, gettext("Replies cannot be pinned; pin the comment they answer."))
    async with writing(Comment):
        if on:
            await Comment.update({Comment.pinned_at: None}).where(
                (Comment.video == video.id) & Comment.pinned_at.is_not_null()
            )
            await Comment.update({Comment.pinned_at: datetime.now(UTC)}).where(
                Comment.id == comment_id
            )
        else:
            await Comment.update({Comment.pinned_at: None}).where(Comment.id == comment_id)
    return video


def _flatten(entries: Iterable[Entry]) -> list[Entry]:
    out: list[Entry] = []
    for entry in entries:
        out.append(entry)
        out.extend(entry.replies)
    return out


async def marks(entries: Iterable[Entry], reader: int | None, creator: int) -> None:
    """Mark, in one statement, the comments (and their replies) ``reader`` liked and
    those the video's ``creator`` liked."""
    found = {entry.id: entry for entry in _flatten(entries) if not entry.deleted}
    if not found:
        return
    who = [creator] if reader is None or reader == creator else [creator, reader]
    ids = list(found)
    rows = await CommentLike.raw(
        f"SELECT comment, viewer FROM {_L} WHERE comment IN ({', '.join(['{}'] * len(ids))}) "  # noqa: S608
        f"AND viewer IN ({', '.join(['{}'] * len(who))})",
        *ids,
        *who,
    )
    for row in rows:
        entry, liker = found[int(row["comment"])], int(row["viewer"])
        if liker == reader:
            entry.liked = True
        if liker == creator:
            entry.creator_liked = True
