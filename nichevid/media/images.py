"""Poster images with Pillow, from a representative, non-black frame."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageStat

from nichevid.media import keys
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import MediaError, ToolError, ffmpeg_exe, input_args, run_tool
from nichevid.storage import Storage

# Mean luma under this (0..255) counts as a black frame (fades, intros).
BLACK_LEVEL = 18.0


@dataclass(frozen=True)
class Poster:
    """One poster in the formats pages use."""

    jpeg: bytes
    webp: bytes
    width: int
    height: int


def candidate_times(duration_ms: int, preferred: float) -> list[float]:
    """Seconds to try, best first: ``preferred`` (or the middle of short videos), then later."""
    seconds = max(duration_ms / 1000, 0.0)
    if seconds <= 0:
        return [0.0]
    first = preferred if seconds > preferred * 2 else seconds / 2
    times = [first, seconds * 0.25, seconds * 0.5, seconds * 0.75, 0.0]
    return list(dict.fromkeys(round(t, 3) for t in times))


def png_args(settings: MediaSettings, args: list[str]) -> list[str]:
    """An ffmpeg run writing one PNG picture to stdout, with ``args`` for input and filters."""
    return [ffmpeg_exe(settings), "-nostdin", "-hide_banner", "-loglevel", "error", *args,
            "-frames:v", "1", "-an", "-f", "image2pipe", "-c:v", "png", "pipe:1"]  # fmt: skip


def frame_args(
    path: Path, at: float, settings: MediaSettings, filters: list[str] | None = None
) -> list[str]:
    """The ffmpeg run that decodes the frame at ``at`` seconds through ``filters``."""
    chain = ["-vf", ",".join(filters)] if filters else []
    return png_args(settings, ["-ss", f"{at:.3f}", *input_args(path, settings), *chain])


def strip_args(path: Path, duration_ms: int, settings: MediaSettings) -> list[str]:
    """The ffmpeg run that tiles ``media.preview_frames`` frames of the video side by side."""
    frames, seconds = settings.preview_frames, max(duration_ms / 1000, 0.001)
    chain = (
        f"fps=fps={frames}/{seconds:.3f}:round=down,"
        f"scale=-2:{settings.preview_height}:flags=bicubic,tile={frames}x1"
    )
    return png_args(settings, [*input_args(path, settings), "-vf", chain])


async def _png(args: list[str], settings: MediaSettings, what: str) -> Image.Image:
    """Run ffmpeg writing one PNG to stdout and decode it."""
    result = await run_tool(
        args, limit=settings.probe_timeout, what=what, memory_mb=settings.tool_memory_mb
    )
    if not result.stdout:
        raise ToolError(f"{what}: no picture")
    image = Image.open(io.BytesIO(result.stdout))
    image.load()
    return image.convert("RGB")


async def grab_frame(
    path: Path, at: float, settings: MediaSettings, filters: list[str] | None = None
) -> Image.Image:
    """Decode the frame at ``at`` seconds, through ``filters`` (scaling, tone mapping)."""
    return await _png(
        frame_args(path, at, settings, filters), settings, f"taking a frame at {at:.1f} s"
    )


def is_black(image: Image.Image) -> bool:
    """Whether the frame is (nearly) black, judged on a small greyscale copy."""
    small = image.convert("L").resize((32, 32))
    return float(ImageStat.Stat(small).mean[0]) < BLACK_LEVEL


async def pick_frame(
    path: Path, duration_ms: int, settings: MediaSettings, filters: list[str] | None = None
) -> Image.Image:
    """The first non-black frame among a few candidates (else the first decoded one).

    Raises:
        MediaError: When no frame can be decoded at all.
    """
    chosen: Image.Image | None = None
    for at in candidate_times(duration_ms, settings.poster_at):
        try:
            frame = await grab_frame(path, at, settings, filters)
        except ToolError:
            continue
        if chosen is None:
            chosen = frame
        if not is_black(frame):
            chosen = frame
            break
    if chosen is None:
        raise MediaError("no picture could be decoded from this video")
    return chosen


def _scaled(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(2, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


async def store_posters(
    storage: Storage, slug: str, image: Image.Image, settings: MediaSettings
) -> dict[str, dict[str, Any]]:
    """Store ``image`` as the video's poster, full size and for cards and grids.

    Returns:
        ``{"poster": {...}, "card": {...}, "grid": {...}}``, each with the ``jpg`` and
        ``webp`` storage keys and the ``width`` and ``height`` of that size; this is
        what :attr:`nichevid.media.tables.Video.images` keeps.
    """
    sizes = {
        "poster": image,
        "card": _scaled(image, settings.poster_card_width),
        "grid": _scaled(image, settings.poster_grid_width),
    }
    stored: dict[str, dict[str, Any]] = {}
    for name, picture in sizes.items():
        encoded = await asyncio.to_thread(encode_poster, picture, settings.poster_quality)
        suffix = "" if name == "poster" else name
        jpg, webp = keys.poster_key(slug, "jpg", suffix), keys.poster_key(slug, "webp", suffix)
        await storage.put_bytes(jpg, encoded.jpeg)
        await storage.put_bytes(webp, encoded.webp)
        stored[name] = {"jpg": jpg, "webp": webp, "width": picture.width, "height": picture.height}
    return stored


async def make_strip(path: Path, duration_ms: int, settings: MediaSettings) -> Image.Image:
    """``media.preview_frames`` frames spread over the video, side by side, for scrubbing.

    Read in one pass from a small rendition, which is quick to decode.
    """
    args = strip_args(path, duration_ms, settings)
    return await _png(args, settings, "making the preview strip")


async def store_strip(
    storage: Storage, slug: str, strip: Image.Image, settings: MediaSettings, duration_ms: int
) -> dict[str, Any]:
    """Store the preview strip as JPEG and WebP; return what ``Video.images["strip"]`` keeps:
    the keys, the number of ``frames``, the size of one frame, and ``interval_ms``
    between frames."""
    encoded = await asyncio.to_thread(encode_poster, strip, settings.poster_quality)
    jpg, webp = keys.strip_key(slug, "jpg"), keys.strip_key(slug, "webp")
    await storage.put_bytes(jpg, encoded.jpeg)
    await storage.put_bytes(webp, encoded.webp)
    frames = settings.preview_frames
    return {
        "jpg": jpg,
        "webp": webp,
        "frames": frames,
        "width": strip.width // frames,
        "height": strip.height,
        "interval_ms": duration_ms // frames,
    }


def encode_poster(image: Image.Image, quality: int) -> Poster:
    """Encode ``image`` as progressive JPEG and as WebP."""
    jpeg, webp = io.BytesIO(), io.BytesIO()
    image.save(jpeg, "JPEG", quality=quality, optimize=True, progressive=True)
    image.save(webp, "WEBP", quality=quality, method=4)
    return Poster(jpeg.getvalue(), webp.getvalue(), image.width, image.height)
