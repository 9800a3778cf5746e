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


class Rung(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One rendition of the ladder: its short edge and its video bitrate cap."""

    short_edge: int
    maxrate_kbps: int


DEFAULT_LADDER = (
    Rung(short_edge=360, maxrate_kbps=800),
    Rung(short_edge=540, maxrate_kbps=1500),
    Rung(short_edge=720, maxrate_kbps=2500),
    Rung(short_edge=1080, maxrate_kbps=4500),
)


class MediaSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How videos are probed, encoded and served."""

    # Empty: the system ffmpeg/ffprobe on PATH, else the binary shipped by imageio-ffmpeg.
    ffmpeg_path: str = ""
    ffprobe_path: str = ""
    probe_timeout: float = 30.0
    transcode_timeout: float = 900.0
    # Address space one ffmpeg/ffprobe run may use, in MiB (0: no cap).
    tool_memory_mb: int = 4096
    # The renditions made of every video, by short edge; rungs above the source are skipped.
    ladder: list[Rung] = msgspec.field(default_factory=lambda: list(DEFAULT_LADDER))
    crf: int = 23
    preset: str = "veryfast"
    audio_kbps: int = 128
    # HLS (fMP4 segments) of the ladder, besides the MP4 files.
    hls: bool = False
    hls_segment_seconds: float = 4.0
    # Frames of the scrubbing preview strip (0: none) and their height in pixels.
    preview_frames: int = 12
    preview_height: int = 160
    # Widths of the smaller posters for feed cards and profile grids.
    poster_card_width: int = 540
    poster_grid_width: int = 240
    # Custom covers: largest upload and picture area accepted.
    cover_max_bytes: int = 10 * 1024**2
    cover_max_pixels: int = 50_000_000
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


def problem(config: MediaSettings) -> str | None:
    """What is wrong with ``[media]`` beyond types and signs, in one line, or ``None``."""
    if not config.ladder:
        return "media.ladder is empty: list at least one rendition ([[media.ladder]])"
    edges = [rung.short_edge for rung in config.ladder]
    for rung in config.ladder:
        if not 16 <= rung.short_edge <= 4320:
            return f"media.ladder short_edge {rung.short_edge} is out of range: use 16..4320"
        if rung.maxrate_kbps < 50:
            return f"media.ladder maxrate_kbps {rung.maxrate_kbps} is too low: use at least 50"
    if len(set(edges)) != len(edges):
        return f"media.ladder lists a short_edge twice ({edges}): give each size once"
    if config.hls and config.hls_segment_seconds < 1:
        return "media.hls_segment_seconds must be at least 1 when media.hls is on"
    if config.preview_frames > 100:
        return f"media.preview_frames {config.preview_frames} is too many: use 0..100"
    if config.preview_frames and config.preview_height < 16:
        return f"media.preview_height {config.preview_height} is too small: use at least 16"
    return None


def media_settings(settings: Any) -> MediaSettings:
    """The instance's ``[media]`` settings."""
    value: MediaSettings = settings.media
    return value
