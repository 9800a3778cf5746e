"""Checks an upload must pass before any transcoding, each with a reason for its creator.

:func:`check_file` looks at the file alone (is it empty, is it too large) so nothing
is run on it when it fails; :func:`check_probe` checks what probing found against the
limits of the ``[media]`` settings.
"""

from __future__ import annotations

from pathlib import Path

from nichevid.media.probe import Probe
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import MediaError


def _size_text(count: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if count >= factor:
            return f"{count / factor:.1f} {unit}".replace(".0 ", " ")
    return f"{count} bytes"


def _seconds_text(seconds: float) -> str:
    return f"{seconds:g} s"


def check_file(path: Path, settings: MediaSettings) -> None:
    """Refuse a file that is empty or larger than ``media.max_bytes``.

    Raises:
        MediaError: With the reason to show the creator.
    """
    size = path.stat().st_size
    if size == 0:
        raise MediaError("the file is empty")
    if settings.max_bytes and size > settings.max_bytes:
        raise MediaError(
            f"the file is {_size_text(size)}, larger than the {_size_text(settings.max_bytes)}"
            " allowed"
        )


def check_probe(found: Probe, settings: MediaSettings) -> None:
    """Refuse a probed file outside the configured limits.

    Raises:
        MediaError: With the reason to show the creator.
    """
    allowed = set(settings.allowed_formats)
    if not found.formats & allowed:
        raise MediaError(f"files of type {found.format_name or 'unknown'} are not accepted")
    if not found.video_codec:
        raise MediaError("this file has no video track")
    if found.width <= 0 or found.height <= 0:
        raise MediaError("the video track has no picture size")
    seconds = found.duration_ms / 1000
    if seconds < settings.min_duration:
        raise MediaError(
            f"the video is {seconds:.1f} s long, shorter than the"
            f" {_seconds_text(settings.min_duration)} required"
        )
    if seconds > settings.max_duration:
        raise MediaError(
            f"the video is {seconds:.0f} s long, longer than the"
            f" {_seconds_text(settings.max_duration)} allowed"
        )
    too_wide = found.width > settings.max_width
    too_tall = found.height > settings.max_height
    if too_wide or too_tall or found.width * found.height > settings.max_pixels:
        raise MediaError(
            f"the picture is {found.width}x{found.height} pixels, larger than allowed"
            f" (at most {settings.max_width}x{settings.max_height}"
            f" and {settings.max_pixels:,} pixels in all)"
        )
