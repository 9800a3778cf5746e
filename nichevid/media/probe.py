"""What a media file contains: container, streams, codecs, duration, dimensions.

ffprobe's JSON output is used when ffprobe is installed; with only a bundled
ffmpeg, the summary ``ffmpeg -i`` prints is parsed instead.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import (
    MediaError,
    ToolError,
    ffmpeg_exe,
    ffprobe_exe,
    input_args,
    redact_paths,
    run_tool,
)

HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})


@dataclass(frozen=True)
class Probe:
    """The facts about one file that processing decisions depend on."""

    format_name: str
    duration_ms: int
    bitrate: int
    video_codec: str
    width: int
    height: int
    pix_fmt: str = ""
    rotation: int = 0
    audio_codec: str = ""
    # Colour transfer and primaries as ffmpeg names them (``smpte2084`` is PQ HDR).
    color_transfer: str = ""
    color_primaries: str = ""
    frame_rate: float = 0.0

    @property
    def is_hdr(self) -> bool:
        """Whether the picture is HDR (PQ or HLG) and needs tone mapping for SDR screens."""
        return self.color_transfer in HDR_TRANSFERS

    @property
    def formats(self) -> set[str]:
        """The demuxer's names, e.g. ``{"mov", "mp4", ...}`` for MP4 and MOV."""
        return set(self.format_name.split(","))

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after rotation metadata is applied."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


async def probe(path: Path, settings: MediaSettings) -> Probe:
    """Probe a local file.

    Raises:
        MediaError: When the file is not a video ffmpeg can read; the message says why.
    """
    ffprobe = ffprobe_exe(settings)
    try:
        if ffprobe:
            result = await run_tool(
                [
                    ffprobe,
                    "-v",
                    "error",
                    "-print_format",
                    "json",
                    "-show_format",
                    "-show_streams",
                    *input_args(path, settings),
                ],
                limit=settings.probe_timeout,
                what="probing",
                memory_mb=settings.tool_memory_mb,
            )
            found = _with_refused_size(parse_ffprobe_json(result.stdout), result.stderr)
        else:
            found = await _probe_with_ffmpeg(path, settings)
    except ToolError as exc:
        raise MediaError(_reason(str(exc), path)) from exc
    if not found.video_codec:
        raise MediaError("this file has no video track")
    if found.width <= 0 or found.height <= 0:
        raise MediaError("the video track has no picture size")
    return found


async def _probe_with_ffmpeg(path: Path, settings: MediaSettings) -> Probe:
    # ``ffmpeg -i`` without an output exits 1 after printing the summary; that is expected.
    result = await run_tool(
        [ffmpeg_exe(settings), "-hide_banner", *input_args(path, settings)],
        limit=settings.probe_timeout,
        what="probing",
        check=False,
        memory_mb=settings.tool_memory_mb,
    )
    text = result.stderr
    if "Input #0" not in text:
        lines = [line for line in text.strip().splitlines() if "output file" not in line]
        raise ToolError(redact_paths(lines[-1]) if lines else "unreadable")
    return _with_refused_size(parse_ffmpeg_banner(text), text)


_REFUSED_SIZE = re.compile(r"Picture size (?P<w>\d+)x(?P<h>\d+) is invalid")


def _with_refused_size(found: Probe, messages: str) -> Probe:
    """``found`` with the size the decoder refused to open (it then reports 0x0), so the
    size checks can name it to the creator."""
    match = _REFUSED_SIZE.search(messages)
    if match is None or (found.width > 0 and found.height > 0):
        return found
    return dataclasses.replace(found, width=int(match["w"]), height=int(match["h"]))


_DEMUXER_TAG = re.compile(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*")


def _reason(message: str, path: Path) -> str:
    """A refusal in the creator's words, from what ffmpeg/ffprobe complained about."""
    if "moov atom not found" in message and _starts_like_mp4(path):
        return "the file is incomplete (its index is missing; was the upload cut off?)"
    if "took longer than" in message:
        return f"this file took too long to read ({_short(message)})"
    return f"this file is not a video we can read ({_short(message)})"


def _starts_like_mp4(path: Path) -> bool:
    # An MP4/MOV begins with a box header: 4 bytes of size, then a type such as ``ftyp``.
    with path.open("rb") as fh:
        head = fh.read(12)
    return head[4:8] in (b"ftyp", b"mdat", b"wide", b"free", b"moov")


def _short(message: str) -> str:
    """The last line of an ffmpeg complaint, without paths and internal tags."""
    last = message.removeprefix("probing failed: ").split(" / ")[-1]
    return _DEMUXER_TAG.sub("", last).replace("<file>: ", "").strip()[:200]


def parse_ffprobe_json(raw: bytes) -> Probe:
    """Build a :class:`Probe` from ``ffprobe -print_format json -show_format -show_streams``."""
    data: dict[str, Any] = json.loads(raw or b"{}")
    fmt: dict[str, Any] = data.get("format") or {}
    streams: list[dict[str, Any]] = data.get("streams") or []
    video: dict[str, Any] = next(
        (s for s in streams if s.get("codec_type") == "video" and not _is_cover(s)), {}
    )
    audio: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "audio"), {})
    duration = _float(fmt.get("duration")) or _float(video.get("duration"))
    return Probe(
        format_name=str(fmt.get("format_name", "")),
        duration_ms=int(duration * 1000),
        bitrate=int(_float(fmt.get("bit_rate"))),
        video_codec=str(video.get("codec_name", "")),
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        pix_fmt=str(video.get("pix_fmt", "")),
        rotation=_rotation(video),
        audio_codec=str(audio.get("codec_name", "")),
        color_transfer=str(video.get("color_transfer", "")),
        color_primaries=str(video.get("color_primaries", "")),
        frame_rate=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
    )


def _rate(value: Any) -> float:
    """``30000/1001`` as a number of frames per second (0 when unknown)."""
    num, _, den = str(value or "").partition("/")
    rate = _float(num) / (_float(den) or 1.0) if den else _float(num)
    return round(rate, 3) if 0 < rate < 10_000 else 0.0


def _is_cover(stream: dict[str, Any]) -> bool:
    return bool((stream.get("disposition") or {}).get("attached_pic"))


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return round(_float(side["rotation"])) % 360
    return round(_float((stream.get("tags") or {}).get("rotate"))) % 360


_INPUT = re.compile(r"^Input #0, (?P<fmt>[^ ]+), from", re.M)
_DURATION = re.compile(r"Duration: (?P<h>\d+):(?P<m>\d+):(?P<s>[\d.]+)")
_BITRATE = re.compile(r"Duration:.*bitrate: (?P<kbps>\d+) kb/s")
_VIDEO = re.compile(r"Stream #0:\d+.*?: Video: (?P<codec>\w+)(?P<rest>.*)")
_AUDIO = re.compile(r"Stream #0:\d+.*?: Audio: (?P<codec>\w+)")
_SIZE = re.compile(r"\b(?P<w>\d{2,5})x(?P<h>\d{2,5})\b")
_PIX_FMT = re.compile(r"[ ,](?P<pix>(?:yuvj?|nv|gray|rgba?|bgra?|p0)[a-z0-9]*)(?:\(|,|\s|$)")
_ROTATION = re.compile(r"rotation of (?P<deg>-?[\d.]+) degrees")
# E.g. ``yuv420p10le(tv, bt2020nc/bt2020/smpte2084)``: space, primaries, transfer; one
# name alone when all three are the same.
_COLOUR = re.compile(r"\((?:tv|pc), (?P<space>[\w-]+)(?:/(?P<prim>[\w-]+)/(?P<trc>[\w-]+))?")
_FPS = re.compile(r", (?P<fps>[\d.]+) fps")


def parse_ffmpeg_banner(text: str) -> Probe:
    """Build a :class:`Probe` from the input summary ``ffmpeg -i`` prints."""
    fmt = _INPUT.search(text)
    duration = _DURATION.search(text)
    bitrate = _BITRATE.search(text)
    video = next((m for m in _VIDEO.finditer(text) if "attached pic" not in m.group(0)), None)
    audio = _AUDIO.search(text)
    size = _SIZE.search(video.group("rest")) if video else None
    pix = _PIX_FMT.search(video.group(0)) if video else None
    rotation = _ROTATION.search(text)
    colour = _COLOUR.search(video.group(0)) if video else None
    fps = _FPS.search(video.group(0)) if video else None
    seconds = 0.0
    if duration:
        seconds = int(duration["h"]) * 3600 + int(duration["m"]) * 60 + float(duration["s"])
    return Probe(
        format_name=fmt["fmt"] if fmt else "",
        duration_ms=int(seconds * 1000),
        bitrate=int(bitrate["kbps"]) * 1000 if bitrate else 0,
        video_codec=video["codec"] if video else "",
        width=int(size["w"]) if size else 0,
        height=int(size["h"]) if size else 0,
        pix_fmt=pix["pix"] if pix else "",
        rotation=round(float(rotation["deg"])) % 360 if rotation else 0,
        audio_codec=audio["codec"] if audio else "",
        color_transfer=(colour["trc"] or colour["space"]) if colour else "",
        color_primaries=(colour["prim"] or colour["space"]) if colour else "",
        frame_rate=float(fps["fps"]) if fps else 0.0,
    )
