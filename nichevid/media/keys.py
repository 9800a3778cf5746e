"""Storage keys of a video's files; everything of one video lives under its prefix."""

from __future__ import annotations

import re

_EXT = re.compile(r"^[a-z0-9]{1,8}$")


def video_prefix(slug: str) -> str:
    """``videos/<slug>/``: deleting this prefix deletes every file of the video."""
    return f"videos/{slug}/"


def source_key(slug: str, ext: str) -> str:
    """The uploaded original, kept so renditions can be made again."""
    ext = ext.lower().lstrip(".")
    return f"{video_prefix(slug)}original.{ext if _EXT.match(ext) else 'bin'}"


def rendition_key(slug: str, label: str, ext: str = "mp4") -> str:
    """A rendition, e.g. ``videos/<slug>/720p.mp4``."""
    return f"{video_prefix(slug)}{label}.{ext}"


def poster_key(slug: str, ext: str = "jpg", size: str = "") -> str:
    """A poster image (``jpg`` or ``webp``): full size, or ``size`` ``card`` or ``grid``."""
    return f"{video_prefix(slug)}poster{'-' + size if size else ''}.{ext}"


def webp_of(jpeg_key: str) -> str:
    """The WebP twin of a JPEG poster key."""
    return jpeg_key.rsplit(".", 1)[0] + ".webp" if jpeg_key else ""


def strip_key(slug: str, ext: str = "jpg") -> str:
    """The scrubbing preview strip (``jpg`` or ``webp``)."""
    return f"{video_prefix(slug)}strip.{ext}"


def hls_prefix(slug: str) -> str:
    """Where the HLS playlists and segments of a video live."""
    return f"{video_prefix(slug)}hls/"
