"""The rendition ladder, the preview strip and HLS, in both shapes."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nichevid.media import services
from nichevid.media.settings import MediaSettings
from nichevid.media.tables import Rendition, Video
from nichevid.media.tools import ffprobe_exe

from .conftest import stored_keys

LADDER = [
    {"short_edge": 72, "maxrate_kbps": 200},
    {"short_edge": 120, "maxrate_kbps": 300},
    {"short_edge": 240, "maxrate_kbps": 500},
]


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    media = {"ladder": LADDER, "preview_frames": 4, "preview_height": 40}
    media.update(getattr(request, "param", {}))
    return nv_settings_factory(media=media)


def ffprobe_streams(path: Path) -> list[dict[str, str]]:
    """``codec_type``, ``codec_name``, ``width``, ``height`` of each stream of ``path``."""
    exe = ffprobe_exe(MediaSettings())
    if exe is None:
        pytest.skip("ffprobe is not installed")
    out = subprocess.run(
        [exe, "-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height",
         "-of", "compact=p=0:nk=0", str(path)],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    return [dict(part.split("=", 1) for part in line.split("|")) for line in out.splitlines()]


async def _mp4s(video_id: int) -> list[tuple[str, int, int]]:
    rows = await services.renditions_of(video_id)
    return [(r.label, r.width, r.height) for r in rows if r.kind == "mp4"]


async def test_compatible_source_is_remuxed_and_the_rungs_below_it_are_encoded(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["h264"], "ladder")
    await nv_run_jobs()
    ready = await services.get_video(video_id=video.id)
    assert ready is not None
    assert ready.status == "ready", ready.failure_reason
    # 160x284 source: the 72p and 120p rungs, and the remux standing in for its own size.
    assert services.ladder_of(ready) == ["72p", "120p", "160p"]
    assert await _mp4s(video.id) == [("72p", 72, 128), ("120p", 120, 212), ("160p", 160, 284)]
    assert (ready.width, ready.height) == (160, 284)
    for row in await services.renditions_of(video.id):
        streams = ffprobe_streams(nv_resources.storage.path(row.storage_key))
        assert [(s["codec_type"], s["codec_name"]) for s in streams] == [
            ("video", "h264"),
            ("audio", "aac"),
        ]
        assert (int(streams[0]["width"]), int(streams[0]["height"])) == (row.width, row.height)


async def test_preview_strip_holds_the_configured_frames(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    from PIL import Image

    video = await services.ingest_file(nv_resources, creator, clips["vp9"], "strip")
    await nv_run_jobs()
    ready = await services.get_video(video_id=video.id)
    assert ready is not None
    strip = ready.strip if isinstance(ready.strip, dict) else __import__("json").loads(ready.strip)
    assert strip["frames"] == 4
    assert strip["height"] == 40
    assert strip["interval_ms"] == ready.duration_ms // 4
    with Image.open(nv_resources.storage.path(strip["webp"])) as image:
        assert image.format == "WEBP"
        assert image.size == (strip["width"] * 4, 40)
    # 160x284 shown 40 pixels tall: about 22 wide, even.
    assert strip["width"] in (22, 24)


async def test_the_ladder_never_goes_above_the_source(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["vp9"], "small vp9")
    await nv_run_jobs()
    assert await _mp4s(video.id) == [("72p", 72, 128), ("120p", 120, 212)]


async def test_processing_again_with_a_new_ladder_removes_the_old_rungs(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["vp9"], "re-ladder")
    await nv_run_jobs()
    nv_resources.settings.media.ladder = nv_resources.settings.media.ladder[1:]
    assert await services.enqueue_processing(nv_resources, video.id)
    await nv_run_jobs()
    assert await _mp4s(video.id) == [("120p", 120, 212)]
    keys = await stored_keys(nv_resources, f"videos/{video.slug}/")
    assert f"videos/{video.slug}/72p.mp4" not in keys
    assert f"videos/{video.slug}/120p.mp4" in keys


@pytest.mark.parametrize("nv_settings", [{"hls": True, "hls_segment_seconds": 1}], indirect=True)
async def test_hls_packages_every_rendition(
    nv_resources: Any, nv_run_jobs: Any, nv_client: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["h264"], "hls")
    await nv_run_jobs()
    [master] = [r for r in await services.renditions_of(video.id) if r.kind == "hls"]
    assert master.storage_key == f"videos/{video.slug}/hls/master.m3u8"
    text = (await nv_resources.storage.read_bytes(master.storage_key)).decode()
    assert text.startswith("#EXTM3U")
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        "72p/index.m3u8",
        "120p/index.m3u8",
        "160p/index.m3u8",
    ]
    assert "RESOLUTION=160x284" in text
    response = await nv_client.get(f"/media/{master.storage_key}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    # An encoded rung has a keyframe at each segment's start: 2 s cut at 1 s.
    variant = (await nv_client.get(f"/media/videos/{video.slug}/hls/72p/index.m3u8")).text
    assert '#EXT-X-MAP:URI="init.mp4"' in variant
    segments = [line for line in variant.splitlines() if line.endswith(".m4s")]
    assert len(segments) == 2
    init = await nv_client.get(f"/media/videos/{video.slug}/hls/72p/init.mp4")
    assert init.status_code == 200
    assert init.content[4:8] == b"ftyp"


@pytest.mark.parametrize("nv_settings", [{"hls": True}], indirect=True)
async def test_hls_of_a_private_video_signs_every_uri(
    nv_resources: Any, nv_run_jobs: Any, nv_client: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["h264"], "secret", "private")
    await nv_run_jobs()
    ready = await services.get_video(video_id=video.id)
    assert ready is not None
    master_key = f"videos/{video.slug}/hls/master.m3u8"
    assert (await nv_client.get(f"/media/{master_key}")).status_code == 403
    url = await services.media_url(nv_resources, ready, master_key, creator)
    master = await nv_client.get(url)
    assert master.status_code == 200
    assert master.headers["cache-control"].startswith("private")
    variant_uri = next(line for line in master.text.splitlines() if "index.m3u8" in line)
    assert "sig=" in variant_uri
    variant = await nv_client.get(f"/media/videos/{video.slug}/hls/{variant_uri}")
    assert variant.status_code == 200
    init_uri = variant.text.split('URI="', 1)[1].split('"', 1)[0]
    segment_uri = next(line for line in variant.text.splitlines() if ".m4s" in line)
    label = variant_uri.split("/", 1)[0]
    for uri in (init_uri, segment_uri):
        assert "sig=" in uri
        assert (
            await nv_client.get(f"/media/videos/{video.slug}/hls/{label}/{uri}")
        ).status_code == 200
        bare = uri.split("?", 1)[0]
        assert (
            await nv_client.get(f"/media/videos/{video.slug}/hls/{label}/{bare}")
        ).status_code == 403


@pytest.mark.parametrize("nv_settings", [{"transcode_timeout": 0.001}], indirect=True)
async def test_a_passing_failure_is_retried_then_fails_and_the_creator_can_retry(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["vp9"], "slow")
    await nv_run_jobs()
    failed = await services.get_video(video_id=video.id)
    assert failed is not None
    assert failed.status == "failed"
    assert "took longer than" in failed.failure_reason
    assert await Rendition.count().where(Rendition.video == video.id) == 0
    # Only the original is kept, for the retry.
    assert await stored_keys(nv_resources) == [failed.source_key]
    nv_resources.settings.media.transcode_timeout = 120.0
    assert await services.retry_video(nv_resources, failed)
    await nv_run_jobs()
    ready = await services.get_video(video_id=video.id)
    assert ready is not None
    assert ready.status == "ready", ready.failure_reason
    assert ready.failure_reason == ""
    assert not await services.retry_video(nv_resources, ready)


async def test_a_refused_file_cannot_be_retried(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["broken"], "broken")
    await nv_run_jobs()
    failed = await services.get_video(video_id=video.id)
    assert failed is not None
    assert failed.status == "failed"
    assert not await services.retry_video(nv_resources, failed)
    assert await Video.count().where(Video.status == "processing") == 0


async def test_no_scratch_files_are_left_behind(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    await services.ingest_file(nv_resources, creator, clips["vp9"], "tidy")
    await nv_run_jobs()
    work = Path(nv_resources.settings.data_dir) / "work"
    assert not work.exists() or not any(work.rglob("*"))
    media = nv_resources.storage.root
    assert [p for p in media.rglob("*") if p.name.endswith(".part")] == []
