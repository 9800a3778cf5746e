"""Resumable uploads as plain async functions; routes and jobs call these.

The stored row is the truth: its ``received`` column is the offset a client resumes
from, whichever process answers. Appends are guarded twice by ``received = offset``:
once when taking the row's lease, once when moving the offset forward.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from piccolo.query.functions.aggregate import Sum

from nichevid.i18n import gettext
from nichevid.media import options
from nichevid.media.schedule import parse_publish_at
from nichevid.media.services import check_caption, check_visibility, ingest_file
from nichevid.media.settings import MediaSettings, media_settings
from nichevid.media.tables import Upload, Video

LEASE_SECONDS = 60.0
# A partial file no unfinished upload owns is deleted once it is this old (a file is
# made just before its upload's row, so a young one may still get its row).
ORPHAN_SECONDS = 3600.0
# Bytes gathered from the network before one write in a worker thread: a thread hop
# per network read (up to 256 KiB) costs more than the write itself.
WRITE_SIZE = 1024 * 1024
FILENAME_MAX = 255


def _wrong_offset(expected: int, sent: int) -> str:
    return gettext(
        "Upload-Offset must be %(expected)s, not %(sent)s.", expected=expected, sent=sent
    )


class UploadError(Exception):
    """An upload request is refused; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def uploads_dir(settings: Any) -> Path:
    """``<data_dir>/uploads``, where partial files are kept."""
    return Path(settings.data_dir) / "uploads"


def part_path(settings: Any, uid: str) -> Path:
    """The partial file of one upload."""
    return uploads_dir(settings) / f"{uid}.part"


def _now() -> datetime:
    return datetime.now(UTC)


def _now_ms() -> int:
    return int(time.time() * 1000)


def new_expiry(config: MediaSettings) -> datetime:
    """When an upload touched now expires."""
    return _now() + timedelta(hours=config.upload_expiry_hours)


def is_expired(upload: Upload) -> bool:
    """Whether an unfinished upload is past its ``Upload-Expires``."""
    expires: datetime = upload.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return upload.status == "uploading" and expires <= _now()


def _owner_id(owner: Any) -> int:
    return int(owner if isinstance(owner, int) else owner.id)


def clean_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """Keep the metadata a video needs (filename, caption, visibility, publishing time,
    plugins' options), checked.

    Raises:
        UploadError: 400 for an unknown visibility, an over-long caption or filename, a
            publishing time that cannot be used, or too many or too long options.
    """
    try:
        visibility = check_visibility(metadata.get("visibility", "public") or "public")
        caption = check_caption(metadata.get("caption", ""))
        chosen = options.options_of(metadata)
        when = parse_publish_at(metadata.get("publish_at"))
    except ValueError as exc:
        raise UploadError(400, str(exc)) from exc
    filename = Path(metadata.get("filename", "").replace("\\", "/")).name
    if len(filename) > FILENAME_MAX:
        raise UploadError(
            400, gettext("File names are at most %(max)s characters.", max=FILENAME_MAX)
        )
    publish_at = when.isoformat() if when else ""
    return {
        **chosen,
        "filename": filename,
        "caption": caption,
        "visibility": visibility,
        "publish_at": publish_at,
    }


async def _bytes_in_use(owner_id: int) -> int:
    videos = await Video.select(Sum(Video.size_bytes)).where(Video.owner == owner_id).first()
    uploads = (
        await Upload.select(Sum(Upload.length))
        .where((Upload.owner == owner_id) & (Upload.status == "uploading"))
        .first()
    )
    return sum(int(next(iter(row.values())) or 0) for row in (videos, uploads) if row)


async def check_accepted(resources: Any, user: Any, metadata: dict[str, str]) -> None:
    """Ask the ``upload_accept`` gate whether ``user`` may start an upload now, and the
    ``video_options_check`` gate whether the plugins take the options it carries.

    Raises:
        UploadError: 403 with the plugin's reason (a suspended account, say); 400 for
            metadata the core or a plugin refuses (a minimum tier not on offer, say).
    """
    from nichevid.plugins import gate

    refusal = await gate(
        resources.pm.hook.upload_accept, user=user, metadata=dict(metadata), resources=resources
    )
    if refusal:
        raise UploadError(403, refusal)
    meta = clean_metadata(metadata)
    refusal = await options.check(
        resources, user, None, meta["visibility"], options.options_of(meta)
    )
    if refusal:
        raise UploadError(400, refusal)


async def create_upload(settings: Any, owner: Any, length: int, metadata: dict[str, str]) -> Upload:
    """Start an upload of ``length`` bytes for ``owner``; an empty partial file is made.

    Raises:
        UploadError: 413 over the size limit or the owner's quota, 429 when the owner
            has too many unfinished uploads, 400 for bad metadata.
    """
    config = media_settings(settings)
    owner_id = _owner_id(owner)
    meta = clean_metadata(metadata)
    if length == 0:
        raise UploadError(400, gettext("The file is empty."))
    if config.max_bytes and length > config.max_bytes:
        raise UploadError(
            413,
            gettext(
                "The file is %(size)s bytes; the limit is %(limit)s bytes.",
                size=length,
                limit=config.max_bytes,
            ),
        )
    if config.upload_max_concurrent:
        open_uploads = await Upload.count().where(
            (Upload.owner == owner_id)
            & (Upload.status == "uploading")
            & (Upload.expires_at > _now())
        )
        if open_uploads >= config.upload_max_concurrent:
            raise UploadError(
                429,
                gettext(
                    "You have %(num)s unfinished uploads; finish or cancel one first "
                    "(at most %(max)s at once).",
                    num=open_uploads,
                    max=config.upload_max_concurrent,
                ),
            )
    if config.upload_quota_bytes:
        used = await _bytes_in_use(owner_id)
        if used + length > config.upload_quota_bytes:
            raise UploadError(
                413,
                gettext(
                    "Over your storage quota: %(used)s of %(quota)s bytes are "
                    "in use and this file needs %(size)s more.",
                    used=used,
                    quota=config.upload_quota_bytes,
                    size=length,
                ),
            )
    uid = secrets.token_hex(16)
    path = part_path(settings, uid)
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(path.touch)
    upload = Upload(
        uid=uid, owner=owner_id, length=length, metadata=meta, expires_at=new_expiry(config)
    )
    await upload.save()
    return upload


async def get_upload(uid: str) -> Upload | None:
    """An upload by its public id, or ``None``."""
    if not uid.isalnum() or len(uid) > 32:
        return None
    return await Upload.objects().where(Upload.uid == uid).first()


async def _take_lease(upload: Upload, offset: int) -> bool:
    now = _now_ms()
    taken = (
        await Upload.update({Upload.lease_until: now + int(LEASE_SECONDS * 1000)})
        .where(
            (Upload.id == upload.id)
            & (Upload.received == offset)
            & (Upload.status == "uploading")
            & (Upload.lease_until < now)
        )
        .returning(Upload.id)
    )
    return bool(taken)


def _open_at(path: Path, offset: int) -> BinaryIO:
    # Bytes past the stored offset come from a request that never committed: drop them.
    fh = path.open("r+b")
    fh.seek(offset)
    fh.truncate()
    return fh


def _write(fh: BinaryIO, parts: list[bytes], hasher: Any, size: int) -> int:
    if hasher is not None:
        for part in parts:
            hasher.update(part)
    fh.writelines(parts)
    return size


def _write_and_close(fh: BinaryIO, parts: list[bytes], hasher: Any, size: int) -> int:
    try:
        return _write(fh, parts, hasher, size)
    finally:
        fh.close()


def _truncate(path: Path, size: int) -> None:
    with path.open("r+b") as fh:
        fh.truncate(size)


async def append(
    resources: Any,
    upload: Upload,
    offset: int,
    chunks: AsyncIterator[bytes],
    checksum: tuple[str, bytes] | None = None,
) -> Upload:
    """Append a request body at ``offset``, streaming it to the partial file.

    Without a checksum, the bytes that arrived before a broken connection are kept,
    so the client resumes after them. With one, nothing is kept unless it matches.
    The last byte hands the file to :func:`finish`.

    Raises:
        UploadError: 409 for a wrong offset, 423 while another request appends, 413
            past the announced length, 460 for a checksum mismatch, 410 when expired.
    """
    settings = resources.settings
    if is_expired(upload):
        raise UploadError(410, gettext("This upload has expired; start it again."))
    if upload.status != "uploading" or offset != upload.received:
        raise UploadError(409, _wrong_offset(upload.received, offset))
    if not await _take_lease(upload, offset):
        fresh = await get_upload(upload.uid)
        if fresh is None:
            raise UploadError(404, gettext("No such upload."))
        if fresh.received != offset:
            raise UploadError(409, _wrong_offset(fresh.received, offset))
        raise UploadError(
            423, gettext("Another request is appending to this upload; retry shortly.")
        )
    path = part_path(settings, upload.uid)
    hasher = hashlib.new(checksum[0]) if checksum else None
    written = 0
    keep = checksum is None
    try:
        try:
            fh = await asyncio.to_thread(_open_at, path, offset)
        except FileNotFoundError:
            # Its first bytes are on another machine (or were lost): never start a
            # second file at this offset. A tus client starts the upload again.
            keep = True
            raise UploadError(
                404,
                gettext(
                    "This upload's data is not on this server (it went to another one, or "
                    "was lost); start the upload again."
                ),
            ) from None
        parts: list[bytes] = []
        pending = 0
        # One batch is written in a worker thread while the next one arrives.
        writing: asyncio.Future[int] | None = None
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                if offset + written + pending + len(chunk) > upload.length:
                    keep = False
                    raise UploadError(413, gettext(
                        "The upload is %(size)s bytes long; this request sends more.",
                        size=upload.length))  # fmt: skip
                parts.append(chunk)
                pending += len(chunk)
                if pending >= WRITE_SIZE:
                    if writing is not None:
                        written += await writing
                    batch = asyncio.to_thread(_write, fh, parts, hasher, pending)
                    writing, parts, pending = asyncio.ensure_future(batch), [], 0
        finally:
            try:
                if writing is not None:
                    written += await writing
            except BaseException:
                await asyncio.to_thread(fh.close)
                raise
            # Bytes that arrived before a broken connection are written too (and kept
            # unless a checksum was sent).
            written += await asyncio.to_thread(_write_and_close, fh, parts, hasher, pending)
        if checksum is not None and hasher is not None and hasher.digest() != checksum[1]:
            keep = False
            raise UploadError(460, gettext(
                "The %(algorithm)s checksum does not match the data sent.",
                algorithm=checksum[0]))  # fmt: skip
        keep = True
    finally:
        if not keep:
            written = 0
            await asyncio.to_thread(_truncate, path, offset)
        await _commit(upload, offset, written, media_settings(settings))
    if upload.received == upload.length:
        await finish(resources, upload)
    return upload


async def _commit(upload: Upload, offset: int, written: int, config: MediaSettings) -> None:
    expires = new_expiry(config)
    await Upload.update(
        {Upload.received: offset + written, Upload.lease_until: 0, Upload.expires_at: expires}
    ).where((Upload.id == upload.id) & (Upload.received == offset))
    upload.received, upload.expires_at, upload.lease_until = offset + written, expires, 0


def upload_metadata(upload: Upload) -> dict[str, str]:
    """The checked metadata of an upload (stored as JSON)."""
    value = upload.metadata
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return {str(k): str(v) for k, v in dict(value).items()}


async def finish(resources: Any, upload: Upload) -> Upload:
    """Turn a complete upload into a video (queued for processing); drop the partial file."""
    settings = resources.settings
    meta = upload_metadata(upload)
    part = part_path(settings, upload.uid)
    suffix = Path(meta.get("filename", "")).suffix.lower()
    named = part.with_name(f"{upload.uid}{suffix if suffix[1:].isalnum() else '.bin'}")
    await asyncio.to_thread(part.replace, named)
    try:
        publish_at = meta.get("publish_at")
        video = await ingest_file(
            resources,
            upload.owner,
            named,
            meta.get("caption", ""),
            meta.get("visibility", "public"),
            publish_at=datetime.fromisoformat(publish_at) if publish_at else None,
        )
    except ValueError as exc:
        upload.status, upload.failure_reason = "failed", str(exc)
    except BaseException:
        # Storage failed or the process is stopping: keep the bytes for finish_stalled.
        await asyncio.to_thread(named.replace, part)
        raise
    else:
        upload.status, upload.video = "complete", video.id
    await asyncio.to_thread(named.unlink, missing_ok=True)
    await upload.save([Upload.status, Upload.failure_reason, Upload.video])
    if upload.status == "complete":
        await options.saved(resources, video, options.options_of(meta))
    return upload


async def terminate(settings: Any, upload: Upload) -> None:
    """Delete an upload: its row and its partial data."""
    await Upload.delete().where(Upload.id == upload.id)
    await asyncio.to_thread(part_path(settings, upload.uid).unlink, missing_ok=True)


async def delete_expired(settings: Any) -> int:
    """Delete every unfinished upload past its expiry; return how many."""
    expired = await Upload.objects().where(
        (Upload.status == "uploading") & (Upload.expires_at <= _now())
    )
    for upload in expired:
        await terminate(settings, upload)
    return len(expired)


async def finish_stalled(resources: Any) -> int:
    """Finish uploads whose last byte arrived but whose hand-over to storage failed.

    Returns:
        How many were handed over now.
    """
    now = _now_ms()
    stalled = await Upload.objects().where(
        (Upload.status == "uploading")
        & (Upload.received == Upload.length)
        & (Upload.lease_until < now)
    )
    done = 0
    for upload in stalled:
        if part_path(resources.settings, upload.uid).exists() and await _take_lease(
            upload, upload.length
        ):
            await finish(resources, upload)
            done += 1
    return done


async def remove_orphans(settings: Any, older_than: float = ORPHAN_SECONDS) -> int:
    """Delete the partial files here that no unfinished upload owns any more.

    An upload deleted or expired by a process on another machine (which cannot reach
    this machine's ``<data_dir>/uploads``) leaves its file behind; so does a crash
    between deleting a row and its file.

    Returns:
        How many files were deleted.
    """
    folder = uploads_dir(settings)
    cutoff = time.time() - older_than
    old: dict[str, Path] = {}
    for path in await asyncio.to_thread(lambda: list(folder.glob("*.part"))):
        try:
            if path.stat().st_mtime < cutoff:
                old[path.name.removesuffix(".part")] = path
        except FileNotFoundError:
            continue
    uids = list(old)
    owned: set[str] = set()
    for first in range(0, len(uids), 500):
        rows = await Upload.select(Upload.uid).where(
            Upload.uid.is_in(uids[first : first + 500]) & (Upload.status == "uploading")
        )
        owned.update(row["uid"] for row in rows)
    removed = 0
    for uid, path in old.items():
        if uid not in owned:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            removed += 1
    return removed


async def tidy_here(resources: Any) -> tuple[int, int]:
    """What only the machine holding the partial files can do: finish the stalled
    uploads whose file is here, and delete the files no upload owns.

    Returns:
        How many uploads were finished and how many files deleted.
    """
    finished = await finish_stalled(resources)
    return finished, await remove_orphans(resources.settings)


async def bytes_in_use(owner: Any) -> int:
    """What the owner's quota counts: their videos and unfinished uploads, in bytes."""
    return await _bytes_in_use(_owner_id(owner))


async def finish_at_received(resources: Any, upload: Upload) -> Upload:
    """Finish an upload created for at most ``length`` bytes at the bytes received so far.

    For a request body of unknown size: the upload reserved the room left, and ends
    where the body ended.

    Raises:
        UploadError: 400 when nothing was received.
    """
    if upload.received == 0:
        raise UploadError(400, gettext("The file is empty; send the video as the request body."))
    await Upload.update({Upload.length: upload.received}).where(
        (Upload.id == upload.id) & (Upload.status == "uploading")
    )
    upload.length = upload.received
    return await finish(resources, upload)
