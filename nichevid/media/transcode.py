"""The rendition ladder: which MP4 files a source becomes, and the ffmpeg runs that make them.

Every rung of ``media.ladder`` at or below the source's short edge becomes an H.264
High + AAC rendition (CRF with the rung's maxrate cap, ``+faststart``). A source that
is already web-compatible (H.264 8-bit 4:2:0 with AAC or no audio, in MP4/MOV,
unrotated, SDR, bitrate within the cap of its size) is also remuxed as is: that copy
is playable within seconds and stands in for the rung of its own size. HDR sources
are tone-mapped to 8-bit SDR; rotation metadata is applied to the picture; odd
sizes are rounded to even ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nichevid.media.probe import Probe
from nichevid.media.settings import MediaSettings, Rung
from nichevid.media.tools import ffmpeg_exe, input_args, run_tool

MP4_FORMATS = {"mov", "mp4"}
WEB_PIX_FMTS = {"yuv420p", "yuvj420p"}
# A remuxed source may exceed its rung's video cap by this factor (audio, bursts).
REMUX_HEADROOM = 1.5
MAX_FPS = 60
# Keyframes at least this often (seconds), and at each HLS segment's start: quick
# seeking and segments of the length asked for.
KEYFRAME_SECONDS = 2


@dataclass(frozen=True)
class Plan:
    """How one rendition is made: ``remux`` or ``transcode``, its size and bitrate cap."""

    method: str
    width: int
    height: int
    maxrate_kbps: int = 0

    @property
    def label(self) -> str:
        """E.g. ``720p``: the short edge, as people name video sizes."""
        return f"{min(self.width, self.height)}p"

    def to_json(self) -> dict[str, Any]:
        """The plan as job arguments."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Plan:
        """The plan :meth:`to_json` gave."""
        return cls(**value)


def target_size(width: int, height: int, short_edge: int) -> tuple[int, int]:
    """Scale ``width x height`` so its short edge is at most ``short_edge``; even sides."""
    short = min(width, height)
    scale = min(1.0, short_edge / short) if short else 1.0
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _rungs(settings: MediaSettings) -> list[Rung]:
    return sorted(settings.ladder, key=lambda rung: rung.short_edge)


def cap_for(short_edge: int, settings: MediaSettings) -> int:
    """The maxrate (kbit/s) of the smallest rung at least ``short_edge`` tall; 0 if none."""
    for rung in _rungs(settings):
        if rung.short_edge >= short_edge:
            return rung.maxrate_kbps
    return 0


def is_web_compatible(found: Probe, settings: MediaSettings) -> bool:
    """Whether ``found`` can be served as is, after a remux."""
    width, height = found.width, found.height
    cap = cap_for(min(width, height), settings)
    return (
        bool(found.formats & MP4_FORMATS)
        and found.video_codec == "h264"
        and found.pix_fmt in WEB_PIX_FMTS
        and found.audio_codec in ("", "aac")
        and found.rotation == 0
        and not found.is_hdr
        and width % 2 == 0
        and height % 2 == 0
        and cap > 0
        and (not found.bitrate or found.bitrate <= cap * 1000 * REMUX_HEADROOM)
    )


def plan_ladder(found: Probe, settings: MediaSettings) -> list[Plan]:
    """Every rendition of ``found``, in the order to make them: the remux first, if any,
    then the transcodes from the smallest up (the first one done makes the video playable).
    """
    width, height = found.display_size
    short = min(width, height)
    remux = is_web_compatible(found, settings)
    plans: dict[str, Plan] = {}
    for rung in _rungs(settings):
        if rung.short_edge > short or (remux and rung.short_edge == short):
            continue
        plan = Plan("transcode", *target_size(width, height, rung.short_edge), rung.maxrate_kbps)
        plans.setdefault(plan.label, plan)
    if remux:
        plan = Plan("remux", width, height, cap_for(short, settings))
        return [plan, *(p for p in plans.values() if p.label != plan.label)]
    if not plans:  # smaller than the smallest rung: one rendition at its own size
        lowest = _rungs(settings)[0].maxrate_kbps if settings.ladder else 800
        plans["own"] = Plan("transcode", *target_size(width, height, short), lowest)
    return list(plans.values())


def picture_filters(found: Probe, plan: Plan) -> list[str]:
    """The filters that turn the source picture into the rendition's (before pixel format).

    Rotation is applied by ffmpeg itself when decoding; these scale, cap the frame rate
    and tone-map HDR to SDR (BT.709).
    """
    filters = [f"scale={plan.width}:{plan.height}:flags=lanczos"]
    if found.frame_rate > MAX_FPS:
        filters.append(f"fps={MAX_FPS}")
    if found.is_hdr:
        filters += [
            f"zscale=tin={found.color_transfer}:pin={found.color_primaries or 'bt2020'}"
            ":min=bt2020nc:t=linear:npl=100",
            "format=gbrpf32le",
            "zscale=p=bt709",
            "tonemap=tonemap=hable:desat=0",
            "zscale=t=bt709:m=bt709:r=tv",
        ]
    return [*filters, "setsar=1"]


def command(src: Path, dst: Path, plan: Plan, found: Probe, settings: MediaSettings) -> list[str]:
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
        maxrate = plan.maxrate_kbps
        args += [
            "-vf",
            ",".join([*picture_filters(found, plan), "format=yuv420p"]),
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
            "-force_key_frames",
            f"expr:gte(t,n_forced*{min(KEYFRAME_SECONDS, settings.hls_segment_seconds):g})",
            "-c:a",
            "aac",
            "-b:a",
            f"{settings.audio_kbps}k",
            "-ac",
            "2",
        ]
        if found.is_hdr:
            args += ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]
    return [*args, "-movflags", "+faststart", "-f", "mp4", f"file:{dst}"]


async def make_rendition(
    src: Path, dst: Path, plan: Plan, found: Probe, settings: MediaSettings
) -> None:
    """Write the rendition described by ``plan`` to ``dst``.

    Raises:
        nichevid.media.tools.ToolError: When ffmpeg fails or runs out of time.
    """
    what = "remuxing" if plan.method == "remux" else f"encoding {plan.label}"
    await run_tool(
        command(src, dst, plan, found, settings),
        limit=settings.transcode_timeout,
        what=what,
        memory_mb=settings.tool_memory_mb,
    )
