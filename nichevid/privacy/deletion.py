"""Account deletion: a request with the password, a grace period, then the erasure.

During the grace period nothing is touched: the account works as before and
cancelling only removes the mark. A cron job erases the accounts whose time has
come (:func:`purge_due`); ``nichevid privacy purge-due`` runs it at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.accounts.passwords import verify_password
from nichevid.accounts.tables import User
from nichevid.i18n import gettext
from nichevid.media.tables import Upload, Video
from nichevid.privacy.erase import ErasureError, erase_user
from nichevid.privacy.settings import privacy_settings
from nichevid.privacy.tables import DeletionRequest

log = logging.getLogger("nichevid.privacy")

PURGE_JOB = "privacy.purge_due"
# Video states whose processing job may still write files.
BUSY = ("uploading", "processing")


class DeletionError(Exception):
    """A deletion request that cannot be accepted; the message says what to do."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class DeletionState:
    """What the member's privacy page shows about a deletion."""

    due_at: datetime
    requested_at: datetime
    busy_videos: int
    postponed: str


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def busy_videos(user_id: int) -> int:
    """Videos of the member still uploading or processing, and uploads in progress."""
    videos = await Video.count().where((Video.owner == user_id) & Video.status.is_in(list(BUSY)))
    uploads = await Upload.count().where((Upload.owner == user_id) & (Upload.status == "uploading"))
    return int(videos) + int(uploads)


async def request_deletion(
    resources: Any, user: User, password: str, *, now: datetime | None = None
) -> DeletionState:
    """Mark ``user``'s account for deletion after the grace period.

    Asking again while marked keeps the first date.

    Raises:
        DeletionError: The password is wrong.
    """
    if not password or not await verify_password(user.password_hash, password):
        raise DeletionError(
            gettext("That password is not right. Type your current password to confirm."),
            "password",
        )
    now = now or _now()
    days = privacy_settings(resources.settings).deletion_grace_days
    existing = await deletion_state(user)
    if existing is not None:
        return existing
    try:
        await DeletionRequest.insert(
            DeletionRequest(user=user.id, requested_at=now, due_at=now + timedelta(days=days))
        )
    except Exception:
        # A second request raced this one; its date stands.
        if await deletion_state(user) is None:
            raise
    found = await deletion_state(user)
    assert found is not None
    return found


async def cancel_deletion(user: User) -> bool:
    """Remove the mark; return whether there was one. Nothing else was touched."""
    rows = (
        await DeletionRequest.delete()
        .where(DeletionRequest.user == user.id)
        .returning(DeletionRequest.id)
        .run()
    )
    return bool(rows)


async def deletion_state(user: User) -> DeletionState | None:
    """The member's pending deletion, or ``None``."""
    row = await DeletionRequest.objects().where(DeletionRequest.user == user.id).first()
    if row is None:
        return None
    return DeletionState(
        _aware(row.due_at), _aware(row.requested_at), await busy_videos(user.id), row.postponed
    )


async def purge_due(resources: Any, *, now: datetime | None = None) -> tuple[int, int]:
    """Erase every account whose grace period is over.

    An account with videos still uploading or processing waits (their jobs would
    write files after the erasure) until ``processing_wait_days`` past its date;
    an account whose plugins fail to delete their data waits for the next run.

    Returns:
        ``(erased, postponed)`` counts.
    """
    now = now or _now()
    wait = timedelta(days=privacy_settings(resources.settings).processing_wait_days)
    rows = await DeletionRequest.objects().where(DeletionRequest.due_at <= now)
    erased = postponed = 0
    for row in rows:
        user = await User.objects().where(User.id == row.user).first()
        if user is None:
            continue
        busy = await busy_videos(user.id)
        if busy and _aware(row.due_at) + wait > now:
            await _postpone(row.id, f"{busy} video(s) still processing")
            postponed += 1
            continue
        try:
            await erase_user(resources, user)
        except ErasureError as exc:
            await _postpone(row.id, str(exc))
            postponed += 1
            continue
        erased += 1
    return erased, postponed


async def _postpone(row_id: int, reason: str) -> None:
    log.warning("account deletion postponed: %s", reason)
    await (
        DeletionRequest.update({DeletionRequest.postponed: reason})
        .where(DeletionRequest.id == row_id)
        .run()
    )


async def purge_job(ctx: dict[str, Any]) -> str:
    """The cron job running :func:`purge_due`."""
    erased, postponed = await purge_due(ctx["resources"])
    return f"{erased} account(s) erased, {postponed} postponed"
