"""Tables of the playlists app. Other packages use :mod:`nichevid.playlists.services`."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.accounts.tables import User
from nichevid.media.tables import Video


class Playlist(Table, tablename="nv_playlist"):
    """A creator's named, ordered list of their own videos."""

    id = Serial(primary_key=True)

    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=120)
    description = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PlaylistItem(Table, tablename="nv_playlist_item"):
    """One video's place in a playlist; a video belongs to one playlist at most.

    ``position`` runs 1, 2, 3... in each playlist; a deleted video leaves a gap, which
    parts are counted past (:mod:`nichevid.playlists.services`).
    """

    id = Serial(primary_key=True)

    playlist = ForeignKey(references=Playlist, on_delete=OnDelete.cascade, index=True)
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, unique=True)
    position = Integer(default=0)
