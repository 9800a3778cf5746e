"""Tricky sources through the whole pipeline; every rendition is checked with ffprobe.

Each source is a tiny clip made with ffmpeg (1-2 s, small frames): rotation metadata,
odd dimensions, variable frame rate, no audio, 10-bit HDR, absurd dimensions. Every
ready video's MP4 renditions must be browser-safe: H.264 High, ``yuv420p``, even
sides, ``moov`` before ``mdat`` (``+faststart``), no rotation left for players to apply.
"""

from __future__ import annotations

import functools
import json
import re
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nichevid.default_storage import LocalStorage
from nichevid.media import services
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe, ffprobe_exe

from .conftest import stored_keys

HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}

# ---------------------------------------------------------------- ffmpeg helpers


def ffmpeg(*args: str) -> None:
    command = [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=120, capture_output=True)


@functools.cache
def filters() -> frozenset[str]:
    """Names of the filters the local ffmpeg has."""
    out = subprocess.run(
        [ffmpeg_exe(MediaSettings()), "-hide_banner", "-filters"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return frozenset(line.split()[1] for line in out.splitlines() if len(line.split()) > 2)


@functools.cache
def encoders() -> frozenset[str]:
    """Names of the encoders the local ffmpeg has."""
    out = subprocess.run(
        [ffmpeg_exe(MediaSettings()), "-hide_banner", "-encoders"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return frozenset(
        line.split()[1]
        for line in out.splitlines()
        if line[:2] in (" V", " A") and len(line.split()) > 1 and "=" not in line
    )


def need(*names: str) -> None:
    """Skip when the local ffmpeg lacks an encoder a source needs."""
    missing = [name for name in names if name not in encoders()]
    if missing:
        pytest.skip(f"the local ffmpeg has no {', '.join(missing)} encoder")


def ffprobe(path: Path) -> dict[str, Any]:
    """``ffprobe -show_format -show_streams -count_packets`` of ``path``, as JSON."""
    exe = ffprobe_exe(MediaSettings())
    if exe is None:
        pytest.skip("checking renditions needs ffprobe (only a bundled ffmpeg was found)")
    out = subprocess.run(
        [exe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         "-count_packets", f"file:{path}"],
        check=True, capture_output=True, timeout=60,
    ).stdout  # fmt: skip
    found: dict[str, Any] = json.loads(out)
    return found


def streams(info: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in info.get("streams", []) if s.get("codec_type") == kind]


def rotation_of(stream: dict[str, Any]) -> float:
    """The rotation players would apply: display matrix side data, else a ``rotate`` tag."""
    for side in stream.get("side_data_list") or []:
        if side.get("side_data_type") == "Display Matrix":
            return float(side.get("rotation", 0))
    return float((stream.get("tags") or {}).get("rotate", 0))


def thumbnail(path: Path, picture: str = "") -> bytes:
    """The first frame as players show it (rotation applied), as 16x16 grey bytes.

    ``picture``: filters applied first (to render a reference from a source).
    """
    chain = f"{picture}," if picture else ""
    result = subprocess.run(
        [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-i", f"file:{path}",
         "-frames:v", "1", "-vf", f"{chain}scale=16:16,format=gray", "-f", "rawvideo", "-"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert len(result.stdout) == 256
    return result.stdout


def difference(one: bytes, other: bytes) -> float:
    """Mean absolute difference of two thumbnails (0..255)."""
    return sum(abs(a - b) for a, b in zip(one, other, strict=True)) / len(one)


def declared_size(path: Path) -> tuple[int, int]:
    """The picture size a file declares, even one libavcodec refuses to open.

    ffprobe reports 0x0 for a picture past libavcodec's limit and only names the
    size in its complaint ("Picture size 20000x20000 is invalid").
    """
    exe = ffprobe_exe(MediaSettings()) or "ffprobe"
    result = subprocess.run(
        [exe, "-v", "error", "-print_format", "json", "-show_streams", f"file:{path}"],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    [stream] = json.loads(result.stdout)["streams"]
    if stream.get("width"):
        return int(stream["width"]), int(stream["height"])
    match = re.search(r"Picture size (\d+)x(\d+) is invalid", result.stderr)
    assert match, result.stderr
    return int(match[1]), int(match[2])


def top_level_boxes(path: Path) -> list[str]:
    """The types of an MP4's top-level boxes, in file order."""
    boxes = []
    total = path.stat().st_size
    with path.open("rb") as fh:
        offset = 0
        while offset < total:
            fh.seek(offset)
            header = fh.read(16)
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:
                size = total - offset
            assert size >= 8, f"broken MP4 box {kind!r} at byte {offset}"
            boxes.append(kind.decode("latin-1"))
            offset += size
    return boxes


# ---------------------------------------------------------------- the sources


def _av(seconds: float, video: str) -> list[str]:
    """Inputs: a lavfi video source and a sine tone of the same length."""
    tone = f"sine=frequency=440:duration={seconds}"
    return ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", tone]


def _rotated(folder: Path) -> Path:
    need("libx264", "aac")
    plain, out = folder / "landscape.mp4", folder / "rotated.mp4"
    # A white bar off the diagonal (top right) shows which way the picture ends up:
    # squeezed, transposed or turned either way, it lands somewhere else.
    video = (
        "color=c=black:size=320x180:rate=25:duration=1.5,"
        "drawbox=x=200:y=0:w=120:h=40:color=white:t=fill"
    )
    ffmpeg(*_av(1.5, video), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           plain.as_posix())  # fmt: skip
    # ffmpeg 5 writes a display matrix from the rotate tag; ffmpeg 6+ has -display_rotation.
    ffmpeg("-i", plain.as_posix(), "-c", "copy", "-metadata:s:v:0", "rotate=90", out.as_posix())
    if not rotation_of(streams(ffprobe(out), "video")[0]):
        ffmpeg("-display_rotation", "90", "-i", plain.as_posix(), "-c", "copy", out.as_posix())
    return out


def _odd(folder: Path) -> Path:
    need("libx264", "aac")
    out = folder / "odd.mp4"
    # testsrc2 rounds its size to even numbers, so scale afterwards; 4:4:4 lets libx264
    # encode odd sides (4:2:0 needs even ones).
    ffmpeg(*_av(1.5, "testsrc2=size=160x284:rate=25:duration=1.5"), "-vf", "scale=161:285",
           "-c:v", "libx264", "-pix_fmt", "yuv444p", "-c:a", "aac", out.as_posix())  # fmt: skip
    return out


# Frames 0-14 at 30 fps, 15-44 at 15 fps, then 7.5 fps, and the last frame: VFR timestamps.
_VFR_SELECT = (
    "select='lt(n\\,15)+between(n\\,15\\,44)*not(mod(n\\,2))"
    "+gte(n\\,45)*not(mod(n-45\\,4))+eq(n\\,59)'"
)


def _vfr(folder: Path, ext: str) -> Path:
    need("libx264", "aac")
    out = folder / f"vfr.{ext}"
    ffmpeg(*_av(2, "testsrc2=size=192x108:rate=30:duration=2"), "-vf", _VFR_SELECT,
           "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           out.as_posix())  # fmt: skip
    return out


def _silent_mp4(folder: Path) -> Path:
    need("libx264")
    out = folder / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x284:rate=25:duration=1.5", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", out.as_posix())  # fmt: skip
    return out


def _silent_avi(folder: Path) -> Path:
    need("mpeg4")
    out = folder / "silent.avi"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x284:rate=25:duration=1.5", "-c:v", "mpeg4",
           out.as_posix())  # fmt: skip
    return out


def _hdr(folder: Path) -> Path:
    need("aac")
    out = folder / "hdr10.mp4"
    tags = ["-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]
    if "libx265" in encoders():
        codec = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                 "-profile:v", "main10", "-tag:v", "hvc1"]  # fmt: skip
    else:
        need("libx264")
        codec = ["-c:v", "libx264", "-profile:v", "high10"]
    ffmpeg(*_av(1.5, "testsrc2=size=320x180:rate=25:duration=1.5"), "-vf", "format=yuv420p10le",
           *codec, *tags, "-c:a", "aac", out.as_posix())  # fmt: skip
    return out


def _huge(folder: Path, side: int) -> Path:
    """A 2-frame PNG-in-Matroska video whose headers say ``side`` x ``side`` pixels.

    Encoding such frames would need gigabytes, so a 300x300 clip is made and its
    sizes rewritten in place: Matroska's PixelWidth/PixelHeight (2-byte values) and
    each PNG's IHDR (with its CRC). The file stays a few kB.
    """
    need("png")
    small, out = folder / f"small-{side}.mkv", folder / f"huge-{side}.mkv"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:size=300x300:rate=1:duration=2", "-c:v", "png",
           small.as_posix())  # fmt: skip
    data = bytearray(small.read_bytes())
    wide = struct.pack(">H", side)
    for element in (b"\xb0\x82", b"\xba\x82"):  # PixelWidth, PixelHeight, 2-byte values
        assert data.count(element + b"\x01\x2c") == 1
        data = data.replace(element + b"\x01\x2c", element + wide)
    position = data.find(b"IHDR")
    assert position > 0
    while position > 0:
        fields = struct.pack(">II", side, side) + bytes(data[position + 12 : position + 17])
        data[position + 4 : position + 17] = fields
        crc = zlib.crc32(b"IHDR" + fields) & 0xFFFFFFFF
        data[position + 17 : position + 21] = struct.pack(">I", crc)
        position = data.find(b"IHDR", position + 4)
    out.write_bytes(bytes(data))
    return out


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "rotated": _rotated,
    "odd": _odd,
    "vfr-mkv": lambda folder: _vfr(folder, "mkv"),
    "vfr-mp4": lambda folder: _vfr(folder, "mp4"),
    "silent-mp4": _silent_mp4,
    "silent-avi": _silent_avi,
    "hdr10": _hdr,
    "huge-16000": lambda folder: _huge(folder, 16000),
    "huge-20000": lambda folder: _huge(folder, 20000),
}


class Sources:
    """Makes each source once per module, on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self.made:
            self.made[name] = BUILDERS[name](self.folder)
        return self.made[name]


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """Rungs below the sources' sizes, so each video gets several renditions to check."""
    ladder = [{"short_edge": edge, "maxrate_kbps": 300} for edge in (90, 120, 180)]
    return nv_settings_factory(
        media={"ladder": [*ladder, {"short_edge": 360, "maxrate_kbps": 800}]}
    )


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    return Sources(tmp_path_factory.mktemp("sources"))


# ---------------------------------------------------------------- checking the output


async def processed(resources: Any, run_jobs: Any, creator: Any, path: Path) -> Any:
    """Ingest ``path``, run the jobs, and return the video row as it ended."""
    video = await services.ingest_file(resources, creator, path, f"source {path.name}")
    await run_jobs()
    row = await services.get_video(video_id=video.id)
    assert row is not None
    return row


async def local_file(resources: Any, key: str, tmp_path: Path) -> Path:
    """A local path holding the stored object ``key``."""
    storage = resources.storage
    if isinstance(storage, LocalStorage):
        return storage.path(key)
    copy = tmp_path / key.replace("/", "_")
    copy.write_bytes(await storage.read_bytes(key))
    return copy


async def checked_renditions(
    resources: Any, video: Any, tmp_path: Path
) -> list[tuple[Any, dict[str, Any], Path]]:
    """Assert the video is ready and every MP4 rendition is browser-safe.

    Returns:
        ``(rendition row, ffprobe JSON, local path)`` of each MP4 rendition.
    """
    assert video.status == "ready", video.failure_reason
    rows = [row for row in await services.renditions_of(video) if row.kind == "mp4"]
    assert rows, "a ready video has no MP4 rendition"
    # Once every job has run, each planned rung exists.
    assert sorted(row.label for row in rows) == sorted(services.ladder_of(video))
    checked = []
    for row in rows:
        path = await local_file(resources, row.storage_key, tmp_path)
        info = ffprobe(path)
        boxes = top_level_boxes(path)
        assert {"moov", "mdat"} <= set(boxes), boxes
        assert boxes.index("moov") < boxes.index("mdat"), f"no +faststart: {boxes}"
        assert "mp4" in info["format"]["format_name"].split(",")
        [stream] = streams(info, "video")
        assert stream["codec_name"] == "h264"
        assert stream["profile"] == "High", stream["profile"]
        assert stream["pix_fmt"] == "yuv420p", stream["pix_fmt"]
        assert (stream["width"], stream["height"]) == (row.width, row.height)
        assert (stream["width"] % 2, stream["height"] % 2) == (0, 0)
        assert rotation_of(stream) == 0, f"players would rotate by {rotation_of(stream)}"
        assert row.size_bytes == path.stat().st_size
        checked.append((row, info, path))
    return checked


def duration(info: dict[str, Any]) -> float:
    return float(info["format"]["duration"])


def stream_duration(stream: dict[str, Any]) -> float:
    return float(stream["duration"])


# ---------------------------------------------------------------- the cases


async def test_rotation_metadata_gives_a_portrait_rendition_without_rotation(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, tmp_path: Path
) -> None:
    source = sources["rotated"]
    [source_video] = streams(ffprobe(source), "video")
    assert (source_video["width"], source_video["height"]) == (320, 180)
    assert abs(rotation_of(source_video)) == 90
    video = await processed(nv_resources, nv_run_jobs, creator, source)
    for row, info, path in await checked_renditions(nv_resources, video, tmp_path):
        [stream] = streams(info, "video")
        assert stream["width"] < stream["height"], (stream["width"], stream["height"])
        assert abs(stream["width"] / stream["height"] - 180 / 320) < 0.02
        # Turned the way players show the source, not squeezed into portrait.
        off = difference(thumbnail(source), thumbnail(path))
        assert off < 24, f"{row.label} is not turned as the source is shown ({off:.0f})"
        assert len(streams(info, "audio")) == 1
    assert video.width < video.height, (video.width, video.height)
    assert abs(video.width / video.height - 180 / 320) < 0.02


async def test_odd_dimensions_become_even_with_the_aspect_kept(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, tmp_path: Path
) -> None:
    source = sources["odd"]
    [source_video] = streams(ffprobe(source), "video")
    assert (source_video["width"], source_video["height"]) == (161, 285)
    video = await processed(nv_resources, nv_run_jobs, creator, source)
    for _row, info, _path in await checked_renditions(nv_resources, video, tmp_path):
        [stream] = streams(info, "video")
        width, height = stream["width"], stream["height"]
        assert abs(height - width * 285 / 161) <= 1, (width, height)
        assert stream.get("sample_aspect_ratio", "1:1") in ("1:1", "0:1"), stream
    assert abs(video.height - video.width * 285 / 161) <= 1, (video.width, video.height)


@pytest.mark.parametrize("name", ["vfr-mkv", "vfr-mp4"])
async def test_variable_frame_rate_plays_start_to_end_in_sync(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, tmp_path: Path, name: str
) -> None:
    source = sources[name]
    source_info = ffprobe(source)
    [source_video] = streams(source_info, "video")
    source_frames = int(source_video["nb_read_packets"])
    assert 30 <= source_frames <= 45, source_frames  # 15 + 15 + 4 + 1 frames kept of 60
    video = await processed(nv_resources, nv_run_jobs, creator, source)
    for row, info, _path in await checked_renditions(nv_resources, video, tmp_path):
        assert abs(duration(info) - duration(source_info)) <= 0.1 * duration(source_info), (
            row.label, duration(info), duration(source_info))  # fmt: skip
        [stream] = streams(info, "video")
        [audio] = streams(info, "audio")
        frames = int(stream["nb_read_packets"])
        # No frame lost; at most one per 1/30 s (the fastest part of the source), give or
        # take the same 10 % as the duration.
        assert source_frames <= frames <= 30 * duration(source_info) * 1.1, frames
        assert abs(stream_duration(stream) - stream_duration(audio)) <= 0.2, (
            stream_duration(stream), stream_duration(audio))  # fmt: skip
    assert abs(video.duration_ms / 1000 - duration(source_info)) <= 0.1 * duration(source_info)


@pytest.mark.parametrize("name", ["silent-mp4", "silent-avi"])
async def test_a_source_without_audio_gives_renditions_without_audio(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, tmp_path: Path, name: str
) -> None:
    source = sources[name]
    assert streams(ffprobe(source), "audio") == []
    video = await processed(nv_resources, nv_run_jobs, creator, source)
    for _row, info, _path in await checked_renditions(nv_resources, video, tmp_path):
        assert streams(info, "audio") == []
        assert 1.3 <= duration(info) <= 1.7


async def test_10_bit_hdr_becomes_8_bit_sdr(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, tmp_path: Path
) -> None:
    source = sources["hdr10"]
    [source_video] = streams(ffprobe(source), "video")
    assert source_video["pix_fmt"] == "yuv420p10le"
    assert source_video["color_transfer"] == "smpte2084"
    video = await processed(nv_resources, nv_run_jobs, creator, source)
    for row, info, _path in await checked_renditions(nv_resources, video, tmp_path):
        [stream] = streams(info, "video")
        transfer = stream.get("color_transfer", "unknown")
        assert transfer not in HDR_TRANSFERS, f"{row.label} is still flagged HDR ({transfer})"
        assert transfer in ("bt709", "unknown"), transfer
        assert stream.get("color_primaries", "unknown") in ("bt709", "unknown"), stream


# The source rendered for an SDR screen by ffmpeg's own tone mapping (BT.2390-style
# operators give pictures within a few levels of this one; cutting the PQ code values to
# 8 bits gives a picture far from it).
_TONE_MAPPED = (
    "zscale=tin=smpte2084:pin=bt2020:min=bt2020nc:t=linear:npl=100,format=gbrpf32le,"
    "zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p"
)


async def test_10_bit_hdr_is_tone_mapped_not_cut_to_8_bits(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, tmp_path: Path
) -> None:
    missing = {"zscale", "tonemap"} - filters()
    if missing:
        pytest.skip(
            f"the local ffmpeg has no {', '.join(sorted(missing))} filter for the reference"
        )
    source = sources["hdr10"]
    tone_mapped = thumbnail(source, _TONE_MAPPED)
    cut = thumbnail(source, "format=yuv420p")
    assert difference(tone_mapped, cut) > 15  # the two renderings are told apart
    video = await processed(nv_resources, nv_run_jobs, creator, source)
    for row, _info, path in await checked_renditions(nv_resources, video, tmp_path):
        shown = thumbnail(path)
        to_cut, to_mapped = difference(shown, cut), difference(shown, tone_mapped)
        assert to_mapped < to_cut, (
            f"{row.label} looks like the HDR code values cut to 8 bits ({to_cut:.0f} from "
            f"them, {to_mapped:.0f} from a tone-mapped picture)"
        )


async def _huge_video(resources: Any, run_jobs: Any, creator: Any, source: Path, side: int) -> Any:
    assert source.stat().st_size < 100_000
    assert declared_size(source) == (side, side)
    video = await processed(resources, run_jobs, creator, source)
    assert video.status == "failed"
    return video


@pytest.mark.parametrize("side", [16000, 20000])
async def test_absurd_dimensions_fail_and_leave_no_files(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, side: int
) -> None:
    source = sources[f"huge-{side}"]
    video = await _huge_video(nv_resources, nv_run_jobs, creator, source, side)
    assert video.failure_reason
    assert await stored_keys(nv_resources, f"videos/{video.slug}/") == []
    assert await services.renditions_of(video) == []


# 20000x20000 is more than the decoder will open: the size comes from its refusal.
@pytest.mark.parametrize("side", [16000, 20000])
async def test_absurd_dimensions_are_named_in_the_reason(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, sources: Sources, side: int
) -> None:
    source = sources[f"huge-{side}"]
    video = await _huge_video(nv_resources, nv_run_jobs, creator, source, side)
    assert f"{side}x{side}" in video.failure_reason, video.failure_reason
