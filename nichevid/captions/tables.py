"""Tables of the captions app. Other packages use :mod:`nichevid.captions.services`.

One track per video and language: a unique ``(video, language)`` index is made in the
second migration (SQLite cannot add a constraint to an existing table).
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.media.tables import Video


class Caption(Table, tablename="nv_caption"):
    """One subtitle track of a video: a checked, normalised WebVTT file in storage."""

    id = Serial(primary_key=True)

    # The unique (video, language) index serves look-ups by video.
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade)
    # A canonical BCP 47 tag, e.g. ``en``, ``pt-BR``, ``zh-Hant``.
    language = Varchar(length=35)
    label = Varchar(length=64, default="")
    storage_key = Varchar(length=255)
    size_bytes = Integer(default=0)
    cue_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
