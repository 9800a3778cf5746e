"""Bad uploads are refused before any transcoding, with a reason and nothing left stored."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nichevid.media import images, probe, services, transcode
from nichevid.media.probe import Probe
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import MediaError, ffmpeg_exe
from nichevid.media.validate import check_file, check_probe

from .conftest import stored_keys


def _ffmpeg(*args: str) -> None:
    command = [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=60)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory, clips: dict[str, Path]) -> dict[str, Path]:
    """Files that must be refused, and a canary video that playlists point at."""
    folder = tmp_path_factory.mktemp("bad")
    made = {name: folder / name for name in ("empty.mp4", "truncated.mp4", "image.mp4")}
    made["empty.mp4"].write_bytes(b"")
    whole = clips["h264"].read_bytes()
    # ffmpeg writes the index (moov) after the media data, so the first half has none.
    made["truncated.mp4"].write_bytes(whole[: len(whole) // 2])
    png = folder / "frame.png"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", png.as_posix())
    shutil.copy(png, made["image.mp4"])
    made["audio.mp4"] = folder / "audio.mp4"
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", made["audio.mp4"].as_posix())
    made["canary"] = folder / "canary-7f3a.mp4"
    shutil.copy(clips["h264"], made["canary"])
    return made


@pytest.fixture
def nv_settings(nv_settings_factory: Any, request: pytest.FixtureRequest) -> Any:
    """Settings with the ``[media]`` overrides a test passes as its parameter."""
    return nv_settings_factory(media=getattr(request, "param", {}))


async def _refused(resources: Any, run_jobs: Any, owner: Any, path: Path) -> str:
    """Ingest ``path``, run the job and return the failure reason (asserting nothing is left)."""
    video = await services.ingest_file(resources, owner, path, "should not work", "public")
    await run_jobs()
    row = await services.get_video(video_id=video.id)
    assert row is not None
    assert row.status == "failed", f"{path.name} was accepted"
    assert await stored_keys(resources) == []
    assert row.failure_reason
    assert "/" not in row.failure_reason.replace("<file>", "")
    return str(row.failure_reason)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.mp4", "the file is empty"),
        ("truncated.mp4", "the file is incomplete"),
        ("image.mp4", "not a video"),
        ("audio.mp4", "no video track"),
    ],
)
async def test_unusable_files_are_refused_with_a_reason(
    nv_resources: Any,
    nv_run_jobs: Any,
    creator: Any,
    bad: dict[str, Path],
    name: str,
    reason: str,
) -> None:
    assert reason in await _refused(nv_resources, nv_run_jobs, creator, bad[name])


async def test_a_text_file_named_mp4_is_refused(
    nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    assert "not a video" in await _refused(nv_resources, nv_run_jobs, creator, clips["broken"])


@pytest.mark.parametrize(
    ("nv_settings", "reason"),
    [
        ({"max_bytes": 1000}, "larger than the 1000 bytes allowed"),
        ({"max_duration": 1.0}, "longer than the 1 s allowed"),
        ({"min_duration": 5.0}, "shorter than the 5 s required"),
        ({"max_width": 100}, "the picture is 160x284 pixels, larger than allowed"),
        ({"max_pixels": 160 * 283}, "larger than allowed"),
    ],
    indirect=["nv_settings"],
)
async def test_limits_from_settings_refuse_before_transcoding(
    nv_resources: Any,
    nv_run_jobs: Any,
    creator: Any,
    clips: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    reason: str,
) -> None:
    async def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("transcoding started")

    monkeypatch.setattr("nichevid.media.jobs.make_rendition", never)
    assert reason in await _refused(nv_resources, nv_run_jobs, creator, clips["h264"])


def test_absurd_dimensions_are_refused() -> None:
    found = Probe("mov,mp4,m4a,3gp,3g2,mj2", 2000, 100_000, "h264", 20000, 20000, "yuv420p")
    with pytest.raises(MediaError, match="20000x20000 pixels, larger than allowed"):
        check_probe(found, MediaSettings())
    tall = Probe("matroska,webm", 2000, 100_000, "vp9", 16, 16000, "yuv420p")
    with pytest.raises(MediaError, match="larger than allowed"):
        check_probe(tall, MediaSettings())
    check_probe(Probe("mov,mp4", 2000, 1, "h264", 2160, 3840), MediaSettings())


def test_containers_outside_the_whitelist_are_refused() -> None:
    found = Probe("hls", 2000, 1, "h264", 160, 284)
    with pytest.raises(MediaError, match="files of type hls are not accepted"):
        check_probe(found, MediaSettings())


def test_check_file_reports_size(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    path.write_bytes(b"x" * 3 * 1024 * 1024)
    with pytest.raises(MediaError, match=r"the file is 3 MB, larger than the 2 MB allowed"):
        check_file(path, MediaSettings(max_bytes=2 * 1024 * 1024))


@pytest.fixture
async def listener() -> AsyncIterator[tuple[str, list[int]]]:
    """A local TCP server counting the connections it gets, and its address."""
    hits: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(1)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/clip.mp4", hits


def _hls(target: str) -> str:
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n{target}\n#EXT-X-ENDLIST\n"


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
@pytest.mark.parametrize("kind", ["hls-file", "hls-path", "hls-network", "ffconcat", "passwd"])
async def test_playlists_in_disguise_are_refused_and_never_followed(
    nv_resources: Any,
    nv_run_jobs: Any,
    creator: Any,
    bad: dict[str, Path],
    listener: tuple[str, list[int]],
    tmp_path: Path,
    kind: str,
    suffix: str,
) -> None:
    url, hits = listener
    canary = bad["canary"]
    # The canary is a playable video: following the playlist would make the upload succeed.
    text = {
        "hls-file": _hls(f"file:{canary}"),
        "hls-path": _hls(str(canary)),
        "hls-network": _hls(url),
        "ffconcat": f"ffconcat version 1.0\nfile '{canary}'\nfile '{url}'\n",
        "passwd": _hls("file:///etc/passwd"),
    }[kind]
    upload = tmp_path / f"holiday{suffix}"
    upload.write_text(text)
    reason = await _refused(nv_resources, nv_run_jobs, creator, upload)
    assert "not a video" in reason
    assert "canary" not in reason
    assert "root:" not in reason
    assert "127.0.0.1" not in reason
    assert hits == []


async def test_every_ffmpeg_run_reads_only_the_local_file(
    nv_resources: Any,
    nv_run_jobs: Any,
    creator: Any,
    clips: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[list[str]] = []
    real = probe.run_tool

    async def recording(args: list[str], **kwargs: Any) -> Any:
        runs.append(list(args))
        return await real(args, **kwargs)

    for module in (probe, transcode, images):
        monkeypatch.setattr(module, "run_tool", recording)
    video = await services.ingest_file(nv_resources, creator, clips["vp9"], "", "public")
    await nv_run_jobs()
    row = await services.get_video(video_id=video.id)
    assert row is not None
    assert row.status == "ready", row.failure_reason
    assert len(runs) >= 3  # probe, transcode, poster
    for args in runs:
        inputs = [args[i + 1] for i, arg in enumerate(args) if arg == "-i"]
        assert inputs, args
        assert all(value.startswith("file:") for value in inputs), args
        protocols = args[args.index("-protocol_whitelist") + 1]
        assert protocols == "file", args
        formats = set(args[args.index("-format_whitelist") + 1].split(","))
        assert not formats & {"hls", "concat", "applehttp", "ffconcat", "subfile", "tee"}
        assert args.index("-protocol_whitelist") < args.index("-i")
