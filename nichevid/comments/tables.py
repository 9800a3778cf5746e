"""Tables of the comments app. Other packages use :mod:`nichevid.comments.services`."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, OnDelete, Serial, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.accounts.tables import User
from nichevid.media.tables import Video


class Comment(Table, tablename="nv_comment"):
    """One comment on a video, or a reply (``parent`` is always a top-level comment).

    ``text`` is plain text exactly as written (after whitespace clean-up); it is escaped
    whenever it is shown. A deleted comment that still has replies keeps its row with
    ``deleted_at`` set and its text erased, so the thread stays readable.
    """

    id = Serial(primary_key=True)

    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    parent: ForeignKey[Comment] = ForeignKey(
        references="self", on_delete=OnDelete.cascade, null=True, index=True
    )
    # Whose comment a reply answers (replies to replies attach to the top-level comment).
    reply_to = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    text = Text(default="")
    # Usernames the text mentions that belonged to a user when it was saved.
    mentions = JSON(default="[]")
    hashtags = JSON(default="[]")
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)
    # Set on the one top-level comment the video's creator pinned above the others.
    pinned_at = Timestamptz(null=True, default=None)


class CommentLike(Table, tablename="nv_comment_like"):
    """One member likes one comment (at most once: a unique index made in the migration)."""

    id = Serial(primary_key=True)

    # The unique (viewer, comment) index serves look-ups by viewer.
    viewer = ForeignKey(references=User, on_delete=OnDelete.cascade)
    comment = ForeignKey(references=Comment, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CommentsClosed(Table, tablename="nv_comments_closed"):
    """A video whose creator closed its comments: one row while they are closed."""

    id = Serial(primary_key=True)

    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
