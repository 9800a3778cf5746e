"""Ingest -> job -> ready, transcoding, failures and deletion, in both shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.media import services
from nichevid.media.probe import probe
from nichevid.media.settings import MediaSettings
from nichevid.media.tables import Rendition, Video

from .conftest import stored_keys


async def ready_video(video_id: int) -> Any:
    """The video, asserting it finished processing."""
    row = await services.get_video(video_id=video_id)
    assert row is not None
    assert row.status == "ready", row.failure_reason
    return row


async def _renditions(video_id: int) -> list[dict[str, Any]]:
    return await Rendition.select().where(Rendition.video == video_id)


async def test_compatible_clip_becomes_ready_by_remux(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(
        nv_resources, creator, clips["h264"], "First light #Sunrise #sunrise #Dawn", "public"
    )
    assert video.status == "processing"
    assert video.hashtags == ["sunrise", "dawn"]
    assert await nv_resources.jobs.status(services.process_job_id(video.id)) in (
        "queued",
        "running",
    )
    await nv_run_jobs()

    ready = await ready_video(video.id)
    assert (ready.width, ready.height) == (160, 284)
    assert 1900 <= ready.duration_ms <= 2100
    assert ready.published_at is not None
    assert ready.size_bytes == clips["h264"].stat().st_size
    renditions = await _renditions(video.id)
    assert [(r["kind"], r["label"], r["width"], r["height"]) for r in renditions] == [
        ("mp4", "160p", 160, 284)
    ]
    slug = video.slug
    assert await stored_keys(nv_resources) == sorted(
        [
            f"videos/{slug}/original.mp4",
            f"videos/{slug}/160p.mp4",
            *(f"videos/{slug}/poster{size}.{ext}" for size in ("", "-card", "-grid")
              for ext in ("jpg", "webp")),
            f"videos/{slug}/strip.jpg",
            f"videos/{slug}/strip.webp",
        ]
    )  # fmt: skip
    poster = await nv_resources.storage.read_bytes(ready.poster_key)
    assert poster.startswith(b"\xff\xd8")
    webp = await nv_resources.storage.read_bytes(f"videos/{slug}/poster.webp")
    assert webp[:4] == b"RIFF"
    assert webp[8:12] == b"WEBP"
    assert renditions[0]["size_bytes"] == await nv_resources.storage.size(f"videos/{slug}/160p.mp4")


async def test_processing_again_overwrites_and_leaves_no_orphans(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["h264"], "again")
    await nv_run_jobs()
    before = await stored_keys(nv_resources)
    await nv_resources.storage.put_bytes(f"videos/{video.slug}/stale-720p.mp4", b"old")
    assert await services.enqueue_processing(nv_resources, video.id)
    await nv_run_jobs()
    assert await stored_keys(nv_resources) == before
    assert len(await _renditions(video.id)) == 1
    again = await services.get_video(video_id=video.id)
    assert again is not None
    assert again.status == "ready"


async def test_vp9_webm_is_transcoded_to_h264(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path], tmp_path: Path
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["vp9"], "vp9", "followers")
    await nv_run_jobs()
    await ready_video(video.id)
    [rendition] = await _renditions(video.id)
    local = tmp_path / "out.mp4"
    local.write_bytes(await nv_resources.storage.read_bytes(rendition["storage_key"]))
    found = await probe(local, MediaSettings())
    assert (found.video_codec, found.audio_codec, found.pix_fmt) == ("h264", "aac", "yuv420p")
    assert "mp4" in found.formats


async def test_mpeg4_with_odd_size_is_transcoded_to_even_size(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["mpeg4"], "old camera")
    await nv_run_jobs()
    ready = await ready_video(video.id)
    assert (ready.width, ready.height) == (160, 284)


async def test_a_text_file_named_mp4_fails_with_a_reason_and_no_files(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["broken"], "broken")
    await nv_run_jobs()
    failed = await services.get_video(video_id=video.id)
    assert failed is not None
    assert failed.status == "failed"
    assert "not a video" in failed.failure_reason
    assert "/" not in failed.failure_reason.replace("<file>", "")
    assert await stored_keys(nv_resources) == []
    assert await _renditions(video.id) == []


async def test_delete_removes_every_file_and_row(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    keep = await services.ingest_file(nv_resources, creator, clips["h264"], "keep")
    gone = await services.ingest_file(nv_resources, creator, clips["h264"], "gone")
    await nv_run_jobs()
    kept = await stored_keys(nv_resources, f"videos/{keep.slug}/")
    assert f"videos/{keep.slug}/original.mp4" in kept
    assert await services.delete_video(nv_resources, gone)
    assert not await services.delete_video(nv_resources, gone.id)
    assert await Video.count().where(Video.id == gone.id) == 0
    assert await Rendition.count().where(Rendition.video == gone.id) == 0
    assert await stored_keys(nv_resources, f"videos/{gone.slug}/") == []
    assert await stored_keys(nv_resources, f"videos/{keep.slug}/") == kept
    assert not (nv_resources.storage.root / "videos" / gone.slug).exists()


async def test_a_video_deleted_before_its_job_runs_leaves_nothing(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["h264"], "quick regret")
    await services.delete_video(nv_resources, video)
    await nv_run_jobs()
    assert await stored_keys(nv_resources) == []
    assert await Video.count() == 0
