"""Making a browser-playable MP4 from a probed source.

A source that is already web-compatible (H.264 8-bit 4:2:0 with AAC or no audio,
in MP4/MOV, unrotated, bitrate within the cap, short edge within the limit) is
remuxed: playable in seconds, no quality lost. Anything else is transcoded to
H.264 High + AAC with CRF and a maxrate cap. Both write ``+faststart`` MP4.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nichevid.media.probe import Probe
from nichevid.media.settings import MediaSettings, Rung
from nichevid.media.tools import ffmpeg_exe, input_args, run_tool

MP4_FORMATS = {"mov", "mp4"}
WEB_PIX_FMTS = {"yuv420p", "yuvj420p"}


@dataclass(frozen=True)
class Plan:
    """How one rendition is made: ``remux`` or ``transcode``, and its output size."""

    method: str
    width: int
    height: int

    @property
    def label(self) -> str:
        """E.g. ``720p``: the short edge, as people name video sizes."""
        return f"{min(self.width, self.height)}p"


def _top(settings: MediaSettings) -> Rung:
    return max(settings.ladder, key=lambda rung: rung.short_edge)


def target_size(width: int, height: int, max_short_edge: int) -> tuple[int, int]:
    """Scale ``width x height`` so its short edge is at most ``max_short_edge``; even sides."""
    short = min(width, height)
    scale = min(1.0, max_short_edge / short) if short else 1.0
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def is_web_compatible(found: Probe, settings: MediaSettings) -> bool:
    """Whether ``found`` can be served as is, after a remux."""
    width, height = found.width, found.height
    return (
        bool(found.formats & MP4_FORMATS)
        and found.video_codec == "h264"
        and found.pix_fmt in WEB_PIX_FMTS
        and found.audio_codec in ("", "aac")
        and found.rotation == 0
        and width % 2 == 0
        and height % 2 == 0
        and min(width, height) <= _top(settings).short_edge
        and (not found.bitrate or found.bitrate <= _top(settings).maxrate_kbps * 1000 * 1.5)
    )


def plan_for(found: Probe, settings: MediaSettings) -> Plan:
    """Decide how to make the first rendition of ``found``."""
    if is_web_compatible(found, settings):
        return Plan("remux", found.width, found.height)
    width, height = target_size(*found.display_size, _top(settings).short_edge)
    return Plan("transcode", width, height)


def command(src: Path, dst: Path, plan: Plan, settings: MediaSettings) -> list[str]:
    """The ffmpeg arguments that turn ``src`` into ``dst`` following ``plan``."""
    args = [
        ffmpeg_exe(settings),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        *input_args(src, settings),
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-map_metadata",
        "-1",
        "-sn",
        "-dn",
    ]
    if plan.method == "remux":
        args += ["-c", "copy"]
    else:
        maxrate = _top(settings).maxrate_kbps
        args += [
            "-vf",
            f"scale={plan.width}:{plan.height}:flags=lanczos,setsar=1,format=yuv420p",
            "-c:v",
            "libx264",
            "-profile:v",
            "high",
            "-preset",
            settings.preset,
            "-crf",
            str(settings.crf),
            "-maxrate",
            f"{maxrate}k",
            "-bufsize",
            f"{maxrate * 2}k",
            "-c:a",
            "aac",
            "-b:a",
            f"{settings.audio_kbps}k",
            "-ac",
            "2",
        ]
    return [*args, "-movflags", "+faststart", "-f", "mp4", f"file:{dst}"]


async def make_rendition(src: Path, dst: Path, plan: Plan, settings: MediaSettings) -> None:
    """Write the rendition described by ``plan`` to ``dst``.

    Raises:
        nichevid.media.tools.ToolError: When ffmpeg fails or runs out of time.
    """
    what = "remuxing" if plan.method == "remux" else "transcoding"
    await run_tool(command(src, dst, plan, settings), limit=settings.transcode_timeout, what=what)
