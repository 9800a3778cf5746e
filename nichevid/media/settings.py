"""Media settings (the ``[media]`` section)."""

from __future__ import annotations

from typing import Any

import msgspec

ALLOWED_FORMATS = (
    "mov",
    "mp4",
    "m4a",
    "3gp",
    "3g2",
    "mj2",
    "matroska",
    "webm",
    "avi",
    "mpegts",
    "flv",
    "ogg",
)


class MediaSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How videos are probed, encoded and served."""

    # Empty: the system ffmpeg/ffprobe on PATH, else the binary shipped by imageio-ffmpeg.
    ffmpeg_path: str = ""
    ffprobe_path: str = ""
    probe_timeout: float = 30.0
    transcode_timeout: float = 900.0
    # Output of the first rendition: short edge at most this many pixels, never upscaled.
    max_short_edge: int = 720
    crf: int = 23
    preset: str = "veryfast"
    maxrate_kbps: int = 2500
    audio_kbps: int = 128
    # Where in the video the poster frame is taken (seconds; shorter videos use their middle).
    poster_at: float = 1.0
    poster_quality: int = 82
    # Containers accepted as input (ffmpeg demuxer names); playlists and concat never are.
    allowed_formats: list[str] = msgspec.field(default_factory=lambda: list(ALLOWED_FORMATS))
    cache_max_age: int = 86400
    # Resumable (tus) uploads: 0 means no limit.
    upload_quota_bytes: int = 20 * 1024**3
    upload_max_concurrent: int = 3
    upload_expiry_hours: float = 24.0
    # Limits checked before any transcoding (max_bytes also caps what a tus upload may
    # announce); each refusal tells the creator which one.
    max_bytes: int = 2 * 1024**3
    min_duration: float = 0.5
    max_duration: float = 600.0
    max_width: int = 7680
    max_height: int = 7680
    max_pixels: int = 7680 * 4320
    # Lifetime in seconds of the signed URLs given out for media of non-public videos.
    signed_url_ttl: int = 300


def media_settings(settings: Any) -> MediaSettings:
    """The instance's ``[media]`` settings."""
    value: MediaSettings = settings.media
    return value
