"""Tables of the privacy app. Other packages use the privacy services, not these."""

from __future__ import annotations

from piccolo.columns import BigInt, ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.accounts.tables import User

EXPORT_STATUSES = ("queued", "running", "ready", "failed")
PAGE_NAMES = ("privacy", "guidelines")


class DataExport(Table, tablename="nv_data_export"):
    """A member's latest data export (one row per member, reused by each new request).

    ``storage_key`` names the zip in the storage backend once ``status`` is ``ready``;
    it is never served publicly, only through a signed link to its owner.
    """

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    status = Varchar(length=16, default="queued")
    storage_key = Varchar(length=255, default="")
    size_bytes = BigInt(default=0)
    error = Text(default="")
    requested_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None, index=True)


class DeletionRequest(Table, tablename="nv_deletion_request"):
    """An account marked for deletion; it is erased once ``due_at`` has passed."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    requested_at = Timestamptz(default=TimestamptzNow())
    due_at = Timestamptz(index=True)
    # Why the last run could not erase the account yet (content still processing...).
    postponed = Text(default="")


class SitePage(Table, tablename="nv_site_page"):
    """Operator-edited text of a policy page (``name`` one of :data:`PAGE_NAMES`)."""

    id = Serial(primary_key=True)

    name = Varchar(length=32, unique=True, index=True)
    body = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
