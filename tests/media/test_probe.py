"""Probing: ffprobe JSON, the ``ffmpeg -i`` fallback, and refusing what is not a video."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from nichevid.media import probe as probe_module
from nichevid.media.probe import Probe, parse_ffmpeg_banner, probe
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import MediaError, redact_paths
from nichevid.media.transcode import is_web_compatible, plan_ladder, target_size


async def test_probe_reads_a_compatible_clip(clips: dict[str, Path]) -> None:
    found = await probe(clips["h264"], MediaSettings())
    assert "mp4" in found.formats
    assert (found.video_codec, found.audio_codec, found.pix_fmt) == ("h264", "aac", "yuv420p")
    assert (found.width, found.height) == (160, 284)
    assert 1900 <= found.duration_ms <= 2100
    assert is_web_compatible(found, MediaSettings())


async def test_fallback_without_ffprobe_gives_the_same_facts(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_ffprobe = await probe(clips["vp9"], MediaSettings())
    monkeypatch.setattr(probe_module, "ffprobe_exe", lambda settings: None)
    without = await probe(clips["vp9"], MediaSettings())
    assert without.video_codec == with_ffprobe.video_codec == "vp9"
    assert without.audio_codec == with_ffprobe.audio_codec == "opus"
    assert (without.width, without.height) == (160, 284)
    assert abs(without.duration_ms - with_ffprobe.duration_ms) < 100
    assert "webm" in without.formats


@pytest.mark.parametrize("name", ["broken", "playlist"])
async def test_not_a_video_is_refused_with_a_reason(clips: dict[str, Path], name: str) -> None:
    with pytest.raises(MediaError, match="not a video") as caught:
        await probe(clips[name], MediaSettings())
    assert str(clips[name]) not in str(caught.value)


def test_banner_parser_reads_rotation_and_pixel_format() -> None:
    banner = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mov':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 8000 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main 10) (hvc1 / 0x31637668), yuv420p10le(tv, bt2020nc), 1920x1080, 7800 kb/s, 30 fps
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 192 kb/s
"""  # noqa: E501
    found = parse_ffmpeg_banner(banner)
    assert found.video_codec == "hevc"
    assert found.pix_fmt == "yuv420p10le"
    assert found.duration_ms == 62500
    assert found.bitrate == 8_000_000
    assert found.rotation == 270
    assert found.display_size == (1080, 1920)
    plans = plan_ladder(found, MediaSettings())
    assert [(p.method, p.width, p.height, p.label) for p in plans] == [
        ("transcode", 360, 640, "360p"),
        ("transcode", 540, 960, "540p"),
        ("transcode", 720, 1280, "720p"),
        ("transcode", 1080, 1920, "1080p"),
    ]
    assert [p.maxrate_kbps for p in plans] == [800, 1500, 2500, 4500]


MP4 = "mov,mp4,m4a,3gp,3g2,mj2"


def _labels(found: Probe, settings: MediaSettings | None = None) -> list[tuple[str, str]]:
    return [(p.method, p.label) for p in plan_ladder(found, settings or MediaSettings())]


def test_compatible_source_is_remuxed_first_and_stands_in_for_its_rung() -> None:
    found = Probe(MP4, 60_000, 4_000_000, "h264", 1080, 1920, "yuv420p", audio_codec="aac")
    assert _labels(found) == [
        ("remux", "1080p"),
        ("transcode", "360p"),
        ("transcode", "540p"),
        ("transcode", "720p"),
    ]


def test_compatible_source_between_rungs_is_the_top_of_its_ladder() -> None:
    found = Probe(MP4, 60_000, 2_000_000, "h264", 600, 1000, "yuv420p", audio_codec="aac")
    assert _labels(found) == [("remux", "600p"), ("transcode", "360p"), ("transcode", "540p")]


def test_the_ladder_never_goes_above_the_source() -> None:
    found = Probe("matroska,webm", 5_000, 900_000, "vp9", 480, 854, "yuv420p")
    assert _labels(found) == [("transcode", "360p")]


def test_a_source_below_the_lowest_rung_gets_one_rendition_at_its_size() -> None:
    found = Probe("matroska,webm", 5_000, 300_000, "vp9", 161, 285, "yuv420p")
    plans = plan_ladder(found, MediaSettings())
    assert [(p.method, p.width, p.height) for p in plans] == [("transcode", 160, 284)]


def test_hdr_and_rotated_sources_are_never_remuxed() -> None:
    hdr = Probe(MP4, 5_000, 1_000_000, "h264", 720, 1280, "yuv420p", color_transfer="smpte2084")
    rotated = Probe(MP4, 5_000, 1_000_000, "h264", 1280, 720, "yuv420p", rotation=90)
    assert not is_web_compatible(hdr, MediaSettings())
    assert not is_web_compatible(rotated, MediaSettings())
    assert _labels(rotated)[-1] == ("transcode", "720p")
    assert [(p.width, p.height) for p in plan_ladder(rotated, MediaSettings())][-1] == (720, 1280)


def test_a_ladder_from_settings() -> None:
    settings = msgspec.convert(
        {
            "ladder": [
                {"short_edge": 480, "maxrate_kbps": 1000},
                {"short_edge": 240, "maxrate_kbps": 400},
            ]
        },
        MediaSettings,
    )
    found = Probe("matroska,webm", 5_000, 300_000, "vp9", 1080, 1920, "yuv420p")
    assert _labels(found, settings) == [("transcode", "240p"), ("transcode", "480p")]


def test_target_size_never_upscales_and_keeps_sides_even() -> None:
    assert target_size(1080, 1920, 720) == (720, 1280)
    assert target_size(161, 285, 720) == (160, 284)
    assert target_size(3840, 2160, 720) == (1280, 720)


def test_high_bitrate_h264_is_transcoded() -> None:
    found = Probe("mov,mp4,m4a,3gp,3g2,mj2", 1000, 50_000_000, "h264", 720, 1280, "yuv420p")
    assert not is_web_compatible(found, MediaSettings())


def test_paths_are_redacted_from_messages() -> None:
    text = "file:/tmp/abc/original.mp4: Invalid data found when processing input"
    assert redact_paths(text) == "<file>: Invalid data found when processing input"


def test_a_size_the_decoder_refuses_is_still_reported() -> None:
    from nichevid.media.probe import _with_refused_size

    banner = """Input #0, matroska,webm, from 'file:x.mkv':
  Duration: 00:00:01.00, start: 0.000000, bitrate: 24 kb/s
  Stream #0:0: Video: png, none, 25 fps, 25 tbr, 1k tbn
[png @ 0x55d0] Picture size 20000x20000 is invalid
"""
    found = _with_refused_size(parse_ffmpeg_banner(banner), banner)
    assert (found.width, found.height) == (20000, 20000)
    normal = Probe("mov,mp4", 1000, 0, "h264", 320, 180)
    assert _with_refused_size(normal, banner) == normal


async def test_tools_run_with_an_address_space_cap() -> None:
    import pytest

    from nichevid.media.tools import ToolError, ffmpeg_exe, run_tool

    args = [ffmpeg_exe(MediaSettings()), "-hide_banner", "-f", "lavfi", "-i",
            "testsrc2=size=320x240:duration=0.2", "-f", "null", "-"]  # fmt: skip
    await run_tool(args, limit=30, what="decoding", memory_mb=MediaSettings().tool_memory_mb)
    with pytest.raises(ToolError, match="decoding failed"):
        await run_tool(args, limit=30, what="decoding", memory_mb=16)
