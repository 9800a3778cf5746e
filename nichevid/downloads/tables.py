"""The table of the downloads app. Other packages use :mod:`nichevid.downloads.services`."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.media.tables import Video


class Downloadable(Table, tablename="nv_downloadable"):
    """A video its creator offers for download: one row while they do."""

    id = Serial(primary_key=True)

    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
