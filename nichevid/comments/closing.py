"""Creators close the comments of one video: the ones there stay, no new ones come.

The box "Close comments on this video" of the upload and edit forms (option
``comments_closed``) keeps a :class:`~nichevid.comments.tables.CommentsClosed` row
while they are closed. Posting and replying then answer 403 with :func:`message`, which
the comments panel shows in place of its form; reading, liking, editing and deleting
the comments already there go on as before.
"""

from __future__ import annotations

from nichevid.comments.tables import CommentsClosed
from nichevid.i18n import gettext
from nichevid.media.choices import VideoChoice, VideoFlag

CLOSED = VideoFlag(CommentsClosed)
CHOICE = VideoChoice(
    option="comments_closed",
    flag=CLOSED,
    label=lambda: gettext("Close comments on this video"),
    hint=lambda: gettext("The comments already there stay; nobody can add new ones or reply."),
    invalid=lambda: gettext("Say 1 to close the comments of the video, or 0 to keep them open."),
)


def message() -> str:
    """What a viewer reads in place of the comment form."""
    return gettext("The creator closed the comments on this video.")
