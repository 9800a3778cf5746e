"""Tables of the social app. Other packages use :mod:`nichevid.social.services`, not these.

Pairs that may exist once (a viewer's like of a video, a follow) are kept unique by
unique indexes made in the second migration: SQLite cannot add constraints to a table
after it is made, which is how Piccolo's migrations add them.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.accounts.tables import User
from nichevid.media.tables import Video


class Like(Table, tablename="nv_like"):
    """One viewer likes one video (at most once)."""

    id = Serial(primary_key=True)

    # The unique (viewer, video) index serves look-ups by viewer.
    viewer = ForeignKey(references=User, on_delete=OnDelete.cascade)
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Bookmark(Table, tablename="nv_bookmark"):
    """One viewer keeps one video for later (at most once)."""

    id = Serial(primary_key=True)

    # The unique (viewer, video) index serves look-ups by viewer.
    viewer = ForeignKey(references=User, on_delete=OnDelete.cascade)
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Share(Table, tablename="nv_share"):
    """One share of a video (link copied or sent), append-only."""

    id = Serial(primary_key=True)

    viewer = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class VideoStats(Table, tablename="nv_video_stats"):
    """Counters of one video, kept with every like, bookmark and share.

    Feeds read counts from here in one statement per page instead of counting rows;
    a row exists once anything was counted (no row means all zero).
    """

    id = Serial(primary_key=True)

    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, unique=True, index=True)
    likes = Integer(default=0)
    bookmarks = Integer(default=0)
    shares = Integer(default=0)


class Follow(Table, tablename="nv_follow"):
    """``follower`` follows ``followee`` (at most once; never themselves)."""

    id = Serial(primary_key=True)

    # The unique (follower, followee) index serves look-ups by follower.
    follower = ForeignKey(references=User, on_delete=OnDelete.cascade)
    followee = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Notification(Table, tablename="nv_notification"):
    """Something that happened for ``recipient``: a like, a follow, a comment, a mention...

    ``dedupe`` (``None`` for kinds that may repeat, such as comments) keeps one row per
    event that can be toggled, so liking, unliking and liking again notifies once.
    """

    id = Serial(primary_key=True)

    recipient = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    actor = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, default=None)
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, null=True, default=None)
    text = Text(default="")
    dedupe = Varchar(length=120, null=True, default=None, unique=True)
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Hashtag(Table, tablename="nv_hashtag"):
    """What a hashtag page says about its tag (a challenge description), set by moderators."""

    id = Serial(primary_key=True)

    name = Varchar(length=64, unique=True, index=True)
    description = Text(default="")
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    # Set while moderators feature the hashtag on the search page (``nichevid.search.discover``).
    featured_at = Timestamptz(null=True, default=None)
