"""Perceptual hashes: a 64-bit dHash of sampled keyframes, compared by Hamming distance.

Operators list hashes of known bad material in ``blocked_hashes``; an upload with a
sampled frame within ``hash_distance`` bits of one is held for a moderator.
``nichevid moderation hash FILE`` prints the hashes of a video or picture.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from nichevid.media.images import grab_frame
from nichevid.media.jobs import local_copy
from nichevid.media.settings import media_settings
from nichevid_moderation.settings import ModerationSettings


def dhash(image: Image.Image) -> int:
    """The 64-bit difference hash: each bit says whether a pixel is brighter than its
    right-hand neighbour on a 9x8 greyscale thumbnail."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = list(small.tobytes())  # one byte per pixel in mode L
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return bits


def hex_hash(value: int) -> str:
    """A hash as the 16 hex digits settings use."""
    return f"{value:016x}"


def distance(a: int, b: int) -> int:
    """Hamming distance: how many bits differ."""
    return (a ^ b).bit_count()


def sample_times(duration_ms: int, frames: int) -> list[float]:
    """Evenly spread seconds inside the video (never its very first or last frame)."""
    seconds = max(duration_ms / 1000, 0.0)
    if seconds <= 0:
        return [0.0]
    return [round(seconds * (i + 1) / (frames + 1), 3) for i in range(frames)]


async def video_hashes(path: Path, duration_ms: int, frames: int, settings: Any) -> list[int]:
    """dHashes of ``frames`` keyframes of the local video file ``path``."""
    config = media_settings(settings)
    hashes = []
    for at in sample_times(duration_ms, frames):
        image = await grab_frame(path, at, config)
        hashes.append(dhash(image))
    return hashes


def closest(hashes: list[int], blocked: list[str]) -> int:
    """The smallest distance between any of ``hashes`` and any blocked hash (64: none)."""
    wanted = [int(value, 16) for value in blocked]
    return min((distance(h, b) for h in hashes for b in wanted), default=64)


async def hold_reason(resources: Any, config: ModerationSettings, video: Any) -> str | None:
    """``None``, or why the upload ``video`` resembles a blocked picture."""
    storage = resources.storage
    workdir = Path(tempfile.mkdtemp(prefix="nv-phash-"))
    try:
        path = await local_copy(storage, video.source_key, workdir)
        hashes = await video_hashes(
            path, int(video.duration_ms or 0), config.hash_frames, resources.settings
        )
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(workdir)
    gap = closest(hashes, config.blocked_hashes)
    if gap <= config.hash_distance:
        return f"a keyframe is {gap} bits from a blocked hash"
    return None
