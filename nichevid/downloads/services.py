"""Which videos their creators offer for download, and the file a download sends.

A video is offered while its :class:`~nichevid.downloads.tables.Downloadable` row
exists; creators choose on the upload and edit forms (:mod:`nichevid.downloads.video_form`).
A download sends the largest MP4 rendition, never the uploaded original (which may
carry the creator's camera metadata).
"""

from __future__ import annotations

from nichevid.downloads.tables import Downloadable
from nichevid.media.services import renditions_of
from nichevid.media.tables import Rendition, Video

_D = Downloadable._meta.tablename


async def offered(video_ids: list[int]) -> set[int]:
    """Which of ``video_ids`` their creators offer for download."""
    if not video_ids:
        return set()
    rows = await Downloadable.select(Downloadable.video).where(Downloadable.video.is_in(video_ids))
    return {int(row["video"]) for row in rows}


async def is_offered(video_id: int) -> bool:
    """Whether the creator of ``video_id`` offers it for download."""
    return await Downloadable.exists().where(Downloadable.video == video_id)


async def offer(video_id: int, on: bool) -> None:
    """Offer ``video_id`` for download, or stop offering it (both idempotent)."""
    if not on:
        await Downloadable.delete().where(Downloadable.video == video_id)
        return
    await Downloadable.raw(
        f"INSERT INTO {_D} (video, created_at) VALUES ({{}}, CURRENT_TIMESTAMP) "  # noqa: S608
        "ON CONFLICT (video) DO NOTHING",
        video_id,
    )


async def best_file(video: Video) -> Rendition | None:
    """The largest MP4 rendition of ``video`` made so far, or ``None``."""
    files = [r for r in await renditions_of(video) if r.kind == "mp4"]
    return max(files, key=lambda r: min(r.width, r.height), default=None)


def file_name(video: Video) -> str:
    """The name a download is saved under: the video's slug (letters and digits only)."""
    return f"{video.slug}.mp4"
