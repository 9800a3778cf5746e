"""Caption services: plain async functions that pages, the API and other packages call.

A track is written in this order: the upload is checked and re-written in full, the
new file is stored under a new key, the row is pointed at it, and only then is the
old file deleted. A refused or failed upload therefore never touches the track a video
already has. Files live under the video's storage prefix, so deleting a video (see
:func:`nichevid.media.services.delete_video`) deletes them; the rows go with the video
row (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from piccolo.columns import Column

from nichevid.captions import webvtt
from nichevid.captions.languages import LanguageError, check_label, check_language, default_label
from nichevid.captions.settings import captions_settings
from nichevid.captions.tables import Caption
from nichevid.i18n import gettext
from nichevid.media import keys
from nichevid.media.listing import Track
from nichevid.media.services import media_url
from nichevid.media.tables import Video

# A video in one of these states gets no new captions: it does not play.
CLOSED = ("failed", "removed")


def closed_reason(status: str) -> str:
    """Why a video in a ``CLOSED`` status takes no captions, and what to do."""
    if status == "failed":
        return gettext(
            "Processing of this video failed, so it cannot get captions; retry it first."
        )
    return gettext("This video was removed, so its captions cannot be changed.")


class CaptionError(ValueError):
    """A caption change is refused; ``status`` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def caption_key(slug: str, language: str) -> str:
    """A new storage key for a track: under the video's prefix, unique per upload.

    A fresh name per upload means a cached copy of the old file is never served for
    the new one, and the old file stays intact until the new one is in place.
    """
    return f"{keys.video_prefix(slug)}captions/{language}-{secrets.token_hex(4)}.vtt"


def _video_id(video: Video | int) -> int:
    return video if isinstance(video, int) else int(video.id)


async def captions_of(video: Video | int) -> list[Caption]:
    """The video's tracks, by language."""
    query = Caption.objects().where(Caption.video == _video_id(video))
    return list(await query.order_by(Caption.language))


async def caption_of(video: Video | int, language: str) -> Caption | None:
    """The video's track in ``language`` (any case, e.g. ``pt-br``), or ``None``."""
    try:
        tag = check_language(language)
    except LanguageError:
        return None
    query = Caption.objects().where((Caption.video == _video_id(video)) & (Caption.language == tag))
    return await query.first()


def check_open(video: Video) -> None:
    """Refuse changes to a video that does not play, or whose length is not known yet.

    Raises:
        CaptionError: 409, saying what to do instead.
    """
    if video.status in CLOSED:
        raise CaptionError(closed_reason(video.status), 409)
    if not video.duration_ms:
        raise CaptionError(
            gettext(
                "The video is still being processed; add captions once it is ready, so their "
                "times can be checked against its length."
            ),
            409,
        )


async def put_caption(
    resources: Any, video: Video, language: str, data: bytes, *, label: str | None = None
) -> tuple[Caption, bool]:
    """Add the video's track in ``language``, or replace it.

    Args:
        resources: The running :class:`nichevid.runtime.Resources`.
        video: The video (the caller has checked who may change it).
        language: A BCP 47 tag; stored in canonical case.
        data: The uploaded WebVTT file.
        label: The name viewers pick the track by; ``None`` keeps the current label
            (a new track is named after its language).

    Returns:
        The stored row, and whether the track is new.

    Raises:
        CaptionError: For a bad tag, label or file (400), one too large (413), a video
            that cannot get captions or one with all its tracks (409). Nothing stored
            changes then.
    """
    config = captions_settings(resources.settings)
    try:
        tag = check_language(language)
        wanted_label = check_label(label)
    except LanguageError as exc:
        raise CaptionError(str(exc)) from exc
    check_open(video)
    if len(data) > config.max_bytes:
        raise CaptionError(too_large(len(data), config.max_bytes), 413)
    try:
        clean = webvtt.normalise(
            data,
            duration_ms=int(video.duration_ms),
            max_bytes=config.max_bytes,
            max_cues=config.max_cues,
            end_slack_ms=config.end_slack_ms,
        )
    except webvtt.CaptionFileError as exc:
        raise CaptionError(str(exc)) from exc
    existing = await caption_of(video, tag)
    if existing is None:
        others = await captions_of(video)
        if len(others) >= config.max_tracks:
            names = ", ".join(row.language for row in others)
            raise CaptionError(
                gettext(
                    "This video already has %(num)s caption tracks (%(names)s), the most "
                    "allowed. Delete one, or upload the file for one of those languages instead.",
                    num=len(others),
                    names=names,
                ),
                409,
            )
    body = clean.text.encode("utf-8")
    old_key = existing.storage_key if existing is not None else ""
    key = caption_key(video.slug, tag)
    size = await resources.storage.put_bytes(key, body)
    now = datetime.now(UTC)
    try:
        if existing is not None:
            row = await _replace(existing, key, size, clean.cues, wanted_label, now)
        else:
            row = Caption(
                video=video.id,
                language=tag,
                label=wanted_label or default_label(tag),
                storage_key=key,
                size_bytes=size,
                cue_count=clean.cues,
                created_at=now,
                updated_at=now,
            )
            await _insert(row, video, tag)
    except BaseException:
        await resources.storage.delete(key)
        raise
    if old_key:
        await resources.storage.delete(old_key)
    return row, existing is None


async def _replace(
    row: Caption, key: str, size: int, cues: int, label: str | None, now: datetime
) -> Caption:
    """Point ``row`` at its new file, unless another upload replaced it meanwhile."""
    values: dict[Column | str, Any] = {
        Caption.storage_key: key,
        Caption.size_bytes: size,
        Caption.cue_count: cues,
        Caption.label: label or row.label,
        Caption.updated_at: now,
    }
    updated = await (
        Caption.update(values)
        .where((Caption.id == row.id) & (Caption.storage_key == row.storage_key))
        .returning(Caption.id)
    )
    if not updated:
        raise CaptionError(
            gettext(
                "These %(language)s captions were replaced or deleted at the same moment; "
                "upload yours again.",
                language=row.language,
            ),
            409,
        )
    row.storage_key, row.size_bytes, row.cue_count = key, size, cues
    row.label, row.updated_at = label or row.label, now
    return row


async def _insert(row: Caption, video: Video, tag: str) -> None:
    try:
        await row.save()
    except Exception:
        # Two uploads of one new language at once: the unique index lets one in.
        if await caption_of(video, tag) is not None:
            raise CaptionError(
                gettext(
                    "Another upload of %(language)s captions finished at the same moment; "
                    "upload yours again to replace it.",
                    language=tag,
                ),
                409,
            ) from None
        raise


def too_large(size: int | None, limit: int) -> str:
    """The refusal of a file of ``size`` bytes (``None``: unknown, only more than ``limit``)."""
    if size is None:
        return gettext(
            "The file is more than %(limit)s bytes; captions may be at most %(limit)s bytes. "
            "Remove notes and styling blocks, or shorten the text.",
            limit=f"{limit:,}",
        )
    return gettext(
        "The file is %(size)s bytes; captions may be at most %(limit)s bytes. "
        "Remove notes and styling blocks, or shorten the text.",
        size=f"{size:,}",
        limit=f"{limit:,}",
    )


async def delete_caption(resources: Any, video: Video, language: str) -> bool:
    """Delete the video's track in ``language``: its row, then its file.

    Returns:
        Whether there was such a track.
    """
    row = await caption_of(video, language)
    if row is None:
        return False
    await Caption.delete().where(Caption.id == row.id)
    await resources.storage.delete(row.storage_key)
    return True


async def track_url(
    resources: Any, video: Video, row: Caption | dict[str, Any], viewer: Any
) -> str:
    """Where ``viewer`` fetches a track: plain for public videos, signed otherwise.

    Raises:
        PermissionError: When ``viewer`` may not watch ``video``.
    """
    key = row["storage_key"] if isinstance(row, dict) else row.storage_key
    return await media_url(resources, video, str(key), viewer)


_TRACKS_SQL = f"""
    SELECT c.video, c.language, c.label, c.storage_key,
           v.slug, v.owner, v.status, v.visibility
      FROM {Caption._meta.tablename} c JOIN {Video._meta.tablename} v ON v.id = c.video
     WHERE c.video IN ({{marks}})
     ORDER BY c.video, c.language
"""  # noqa: S608 - table names only; the ids are bound parameters


async def card_tracks(resources: Any, video_ids: list[int], viewer: Any) -> dict[int, list[Track]]:
    """The tracks of many videos (a page of feed cards) in one query, by video id.

    Tracks of a video ``viewer`` may not watch are left out.
    """
    if not video_ids:
        return {}
    # Raw SQL: this runs for every page of cards, and building the joined select
    # through the query builder cost more than the query itself.
    marks = ", ".join("{}" for _ in video_ids)
    rows = await Caption.raw(_TRACKS_SQL.format(marks=marks), *video_ids)
    found: dict[int, list[Track]] = {}
    for row in rows:
        video = Video(
            id=row["video"],
            slug=row["slug"],
            owner=row["owner"],
            status=row["status"],
            visibility=row["visibility"],
        )
        try:
            src = await track_url(resources, video, row, viewer)
        except PermissionError:
            continue
        found.setdefault(int(row["video"]), []).append(
            Track(
                language=row["language"],
                label=row["label"] or row["language"],
                src=src,
                cross_origin=src.startswith(("http://", "https://", "//")),
            )
        )
    return found
