"""HLS packaging (``media.hls``): the MP4 renditions cut into fMP4 segments, no re-encoding.

Layout under the video's prefix::

    hls/master.m3u8
    hls/<label>/index.m3u8, hls/<label>/init.mp4, hls/<label>/seg_0000.m4s, ...

Playlists refer to their files by relative URIs; for videos that are not public the
media route signs those URIs as it serves a playlist (see :func:`sign_playlist`).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe, input_args, run_tool

MASTER = "master.m3u8"


@dataclass(frozen=True)
class Variant:
    """One rendition as the master playlist lists it."""

    label: str
    width: int
    height: int
    bandwidth: int


async def segment(src: Path, outdir: Path, settings: MediaSettings) -> None:
    """Cut the MP4 ``src`` into ``outdir/index.m3u8``, ``init.mp4`` and ``seg_NNNN.m4s``.

    Raises:
        nichevid.media.tools.ToolError: When ffmpeg fails or runs out of time.
    """
    await asyncio.to_thread(outdir.mkdir, parents=True, exist_ok=True)
    await run_tool(
        [
            ffmpeg_exe(settings),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            *input_args(src, settings),
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_time",
            f"{settings.hls_segment_seconds:g}",
            "-hls_playlist_type",
            "vod",
            "-hls_segment_type",
            "fmp4",
            "-hls_fmp4_init_filename",
            "init.mp4",
            "-hls_segment_filename",
            f"file:{outdir / 'seg_%04d.m4s'}",
            f"file:{outdir / 'index.m3u8'}",
        ],
        limit=settings.transcode_timeout,
        what="packaging HLS",
        memory_mb=settings.tool_memory_mb,
    )


def master_playlist(variants: list[Variant]) -> str:
    """The master playlist listing every variant, smallest first."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for variant in sorted(variants, key=lambda v: v.bandwidth):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={max(variant.bandwidth, 1)},"
            f"RESOLUTION={variant.width}x{variant.height}"
        )
        lines.append(f"{variant.label}/index.m3u8")
    return "\n".join(lines) + "\n"


def sign_playlist(text: str, playlist_key: str, sign: Callable[[str], str]) -> str:
    """``text`` with every URI resolved against ``playlist_key`` and given ``sign(key)``'s
    query string, so each file a player fetches carries its own signature."""

    def signed(uri: str) -> str:
        if "://" in uri or uri.startswith("/"):
            return uri
        key = posixpath.normpath(posixpath.join(posixpath.dirname(playlist_key), uri))
        return f"{uri}?{sign(key)}"

    out = []
    for line in text.splitlines():
        if line.startswith("#EXT-X-MAP:") and 'URI="' in line:
            head, _, rest = line.partition('URI="')
            uri, _, tail = rest.partition('"')
            line = f'{head}URI="{signed(uri)}"{tail}'
        elif line and not line.startswith("#"):
            line = signed(line.strip())
        out.append(line)
    return "\n".join(out) + "\n"
