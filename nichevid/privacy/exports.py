"""Data exports: one job per member builds a zip in storage; a signed link hands it over.

Asking again while an export is queued or running starts nothing new: the member's
row moves to ``queued`` only from a finished state (one atomic update), and the job
has a deterministic id, so both runners hold at most one job per member.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import tempfile
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nichevid.accounts.tables import User
from nichevid.core.secrets import instance_secret
from nichevid.i18n import gettext
from nichevid.privacy import bundle
from nichevid.privacy.settings import privacy_settings
from nichevid.privacy.tables import DataExport

log = logging.getLogger("nichevid.privacy")

EXPORT_JOB = "privacy.export"
EXPIRE_JOB = "privacy.expire_exports"
PENDING = ("queued", "running")
# Files are streamed into storage in pieces of this size.
CHUNK = 1024 * 1024
EXPORT_TRIES = 3


@dataclass(frozen=True)
class ExportState:
    """What the member's settings page shows about their export."""

    status: str  # "none", "queued", "running", "ready", "failed", "expired"
    requested_at: datetime | None = None
    expires_at: datetime | None = None
    size_bytes: int = 0
    error: str = ""

    @property
    def pending(self) -> bool:
        """Whether a job is on its way (the page keeps polling)."""
        return self.status in PENDING


class ExportLinkError(Exception):
    """A download link that cannot be honoured; ``status`` is 403 or 410."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def export_job_id(user_id: int) -> str:
    """The one job id a member's export runs under."""
    return f"privacy:export:{user_id}"


def export_prefix(user_id: int) -> str:
    """Where a member's export zips live in storage (never served publicly)."""
    return f"exports/{user_id}/"


async def request_export(resources: Any, user: User) -> bool:
    """Queue an export of ``user``'s data.

    Returns:
        ``True`` when a new export was queued; ``False`` when one is already queued or
        running (nothing new is started).
    """
    now = _now()
    moved = (
        await DataExport.update(
            {
                DataExport.status: "queued",
                DataExport.requested_at: now,
                DataExport.error: "",
            }
        )
        .where((DataExport.user == user.id) & DataExport.status.not_in(list(PENDING)))
        .returning(DataExport.id)
        .run()
    )
    if not moved:
        if await DataExport.exists().where(DataExport.user == user.id).run():
            if await resources.jobs.status(export_job_id(user.id)) in PENDING:
                return False
            # The row says pending but no job is: its worker died past its last try.
            await (
                DataExport.update(
                    {
                        DataExport.status: "queued",
                        DataExport.requested_at: now,
                        DataExport.error: "",
                    }
                )
                .where(DataExport.user == user.id)
                .run()
            )
            job_id = export_job_id(user.id)
            return bool(await resources.jobs.enqueue(EXPORT_JOB, job_id=job_id, user_id=user.id))
        try:
            await DataExport.insert(DataExport(user=user.id, status="queued", requested_at=now))
        except Exception:
            # Another request inserted the row between the two statements: that one runs.
            if await DataExport.exists().where(DataExport.user == user.id).run():
                return False
            raise
    await resources.jobs.enqueue(EXPORT_JOB, job_id=export_job_id(user.id), user_id=user.id)
    return True


async def export_state(user: User, *, now: datetime | None = None) -> ExportState:
    """The state of ``user``'s latest export."""
    row = await DataExport.objects().where(DataExport.user == user.id).first()
    if row is None:
        return ExportState("none")
    status = row.status
    expires = _aware(row.expires_at)
    if status == "ready" and expires is not None and expires <= (now or _now()):
        status = "expired"
    return ExportState(
        status, _aware(row.requested_at), expires, int(row.size_bytes or 0), row.error
    )


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as fh:
        while True:
            chunk = await asyncio.to_thread(fh.read, CHUNK)
            if not chunk:
                return
            yield chunk


async def run_export(ctx: dict[str, Any], user_id: int) -> str:
    """The export job: build the zip in a temporary file, store it, mark the row ready."""
    resources = ctx["resources"]
    user = await User.objects().where(User.id == user_id).first()
    row = await DataExport.objects().where(DataExport.user == user_id).first()
    if user is None or row is None or row.status not in PENDING:
        return "nothing to export"
    await DataExport.update({DataExport.status: "running"}).where(DataExport.id == row.id).run()
    config = privacy_settings(resources.settings)
    key = f"{export_prefix(user_id)}{secrets.token_hex(12)}.zip"
    tmp_dir = Path(resources.settings.data_dir) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=tmp_dir) as workdir:
            path = Path(workdir) / "export.zip"
            with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
                await bundle.build(resources, user, archive)
            size = await resources.storage.put(key, _file_chunks(path))
    except Exception as exc:
        await resources.storage.delete(key)
        last_try = ctx.get("job_try", 1) >= EXPORT_TRIES
        await (
            DataExport.update(
                {
                    DataExport.status: "failed" if last_try else "queued",
                    DataExport.error: f"{type(exc).__name__}: {exc}",
                }
            )
            .where(DataExport.id == row.id)
            .run()
        )
        raise
    old = row.storage_key
    finished = _now()
    await (
        DataExport.update(
            {
                DataExport.status: "ready",
                DataExport.storage_key: key,
                DataExport.size_bytes: size,
                DataExport.finished_at: finished,
                DataExport.expires_at: finished + timedelta(hours=config.export_link_hours),
                DataExport.error: "",
            }
        )
        .where(DataExport.id == row.id)
        .run()
    )
    if old and old != key:
        await resources.storage.delete(old)
    return key


async def expire_exports(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """The cron job: delete the zips whose links ran out; return how many went."""
    resources = ctx["resources"]
    rows = (
        await DataExport.select(DataExport.id, DataExport.storage_key)
        .where((DataExport.status == "ready") & (DataExport.expires_at <= (now or _now())))
        .run()
    )
    for row in rows:
        if row["storage_key"]:
            await resources.storage.delete(row["storage_key"])
        await (
            DataExport.update(
                {DataExport.status: "expired", DataExport.storage_key: "", DataExport.size_bytes: 0}
            )
            .where(DataExport.id == row["id"])
            .run()
        )
    return len(rows)


# ---------------------------------------------------------------- signed links


def _signature(secret: str, user_id: int, key: str, expires: int) -> str:
    message = f"export\n{user_id}\n{key}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def download_link(resources: Any, user: User) -> str | None:
    """The signed link to ``user``'s ready export, valid until the export expires."""
    row = await DataExport.objects().where(DataExport.user == user.id).first()
    expires = _aware(row.expires_at) if row is not None else None
    if row is None or row.status != "ready" or expires is None or expires <= _now():
        return None
    exp = int(expires.timestamp())
    sig = _signature(instance_secret(resources.settings), user.id, row.storage_key, exp)
    return f"/settings/privacy/export/download?exp={exp}&sig={sig}"


async def open_download(
    resources: Any, user: User | None, exp: str | None, sig: str | None
) -> tuple[str, int]:
    """Check a download link for ``user``; return the zip's storage key and size.

    Raises:
        ExportLinkError: 403 for a link that is not ``user``'s (or was tampered with),
            410 for one that expired or whose export was replaced.
    """
    if user is None:
        raise ExportLinkError(403, gettext("Log in with the account that asked for this export."))
    if not exp or not sig or not exp.isdigit():
        raise ExportLinkError(403, gettext("This download link is incomplete; copy it again."))
    row = await DataExport.objects().where(DataExport.user == user.id).first()
    key = row.storage_key if row is not None else ""
    secret = instance_secret(resources.settings)
    if not key or not hmac.compare_digest(_signature(secret, user.id, key, int(exp)), sig):
        raise ExportLinkError(
            403,
            gettext(
                "This download link belongs to another account, or it was replaced by a newer "
                "export. Log in with the account that asked for it, or ask for a new export."
            ),
        )
    expires = _aware(row.expires_at) if row is not None else None
    if int(exp) <= time.time() or expires is None or expires <= _now():
        raise ExportLinkError(
            410,
            gettext("This download link has expired. Ask for a new export on your privacy page."),
        )
    if not await resources.storage.exists(key):
        raise ExportLinkError(
            410, gettext("This export is no longer stored. Ask for a new export.")
        )
    return key, int(row.size_bytes or 0) if row is not None else 0
