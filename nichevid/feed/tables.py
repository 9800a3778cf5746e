"""Tables of the feed app. Other packages use the feed's services, not these."""

from __future__ import annotations

from piccolo.columns import BigSerial, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.accounts.tables import User
from nichevid.media.tables import Video

FEEDS = ("foryou", "following", "hashtag", "profile", "search", "video")


class WatchEvent(Table, tablename="nv_watch_event"):
    """One viewing of one video, append-only and high volume.

    ``viewer`` is the signed-in user, else ``session_id`` names the anonymous viewer.
    ``watched_ms`` is time actually played (replays included); ``completed`` is
    whether the end was reached; ``skipped`` whether the viewer moved on early.
    """

    id = BigSerial(primary_key=True)
    viewer = ForeignKey(references=User, null=True, on_delete=OnDelete.cascade, index=True)
    session_id = Varchar(length=64, default="", index=True)
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, index=True)
    watched_ms = Integer(default=0)
    completed = Boolean(default=False)
    replays = Integer(default=0)
    skipped = Boolean(default=False)
    feed = Varchar(length=16, default="foryou")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
