"""Probing: ffprobe JSON, the ``ffmpeg -i`` fallback, and refusing what is not a video."""

from __future__ import annotations

from pathlib import Path

import pytest

from nichevid.media import probe as probe_module
from nichevid.media.probe import Probe, parse_ffmpeg_banner, probe
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import MediaError, redact_paths
from nichevid.media.transcode import is_web_compatible, plan_for, target_size


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
    plan = plan_for(found, MediaSettings())
    assert (plan.method, plan.width, plan.height, plan.label) == ("transcode", 1080, 1920, "1080p")


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
