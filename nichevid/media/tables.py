"""Tables of the media app. Other packages use :mod:`nichevid.media.services`, not these."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.accounts.tables import User

UPLOAD_STATUSES = ("uploading", "complete", "failed")
STATUSES = ("uploading", "processing", "held", "scheduled", "ready", "failed", "removed")
VISIBILITIES = ("public", "followers", "subscribers", "private")


class Video(Table, tablename="nv_video"):
    """One video; ``slug`` is its public id, ``status`` one of :data:`STATUSES`."""

    id = Serial(primary_key=True)

    slug = Varchar(length=16, unique=True, index=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    caption = Text(default="")
    hashtags = JSON(default="[]")
    # Usernames the caption mentions (``@name``) that belonged to a user when saved.
    mentions = JSON(default="[]")
    status = Varchar(length=16, default="uploading", index=True)
    failure_reason = Text(default="")
    visibility = Varchar(length=16, default="public", index=True)
    # Adults only (set by moderation through ``nichevid.media.gates``): never open.
    age_restricted = Boolean(default=False)
    duration_ms = Integer(default=0)
    width = Integer(default=0)
    height = Integer(default=0)
    size_bytes = BigInt(default=0)
    source_key = Varchar(length=255, default="")
    poster_key = Varchar(length=255, default="")
    # Labels of the renditions planned for this video, e.g. ``["360p", "720p"]``.
    ladder = JSON(default="[]")
    # Sized posters (see :func:`nichevid.media.images.store_posters`).
    images = JSON(default="{}")
    # The scrubbing preview strip (see :func:`nichevid.media.images.store_strip`).
    strip = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    # Set when the video first becomes ready; indexed so feeds notice new videos cheaply.
    published_at = Timestamptz(null=True, default=None, index=True)
    # When the creator wants it published: until then a processed video is ``scheduled``.
    publish_at = Timestamptz(null=True, default=None, index=True)
    # Set while the creator keeps it at the top of their profile (``nichevid.social.pins``).
    pinned_at = Timestamptz(null=True, default=None)


class Rendition(Table, tablename="nv_rendition"):
    """One playable encoding of a video (``kind`` ``mp4``, ``label`` such as ``720p``)."""

    id = Serial(primary_key=True)

    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16, default="mp4")
    label = Varchar(length=16, default="")
    width = Integer(default=0)
    height = Integer(default=0)
    bitrate = Integer(default=0)
    storage_key = Varchar(length=255)
    size_bytes = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class Upload(Table, tablename="nv_upload"):
    """One resumable (tus) upload; ``uid`` is its public id, ``received`` its offset.

    The partial file lives at ``<data_dir>/uploads/<uid>.part``. ``lease_until`` (epoch
    milliseconds) marks a PATCH in progress, so two requests never append at once.
    """

    id = Serial(primary_key=True)

    uid = Varchar(length=32, unique=True, index=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    length = BigInt(default=0)
    received = BigInt(default=0)
    metadata = JSON(default="{}")
    status = Varchar(length=16, default="uploading", index=True)
    failure_reason = Text(default="")
    video = ForeignKey(references=Video, on_delete=OnDelete.set_null, null=True, default=None)
    lease_until = BigInt(default=0)
    expires_at = Timestamptz(index=True)
    created_at = Timestamptz(default=TimestamptzNow())
