"""A machine with no system ffmpeg: the pipeline runs on the binary imageio-ffmpeg ships.

That binary has no ffprobe beside it, so probing falls back to reading ``ffmpeg -i``.
This is what ``./dev.sh demo`` relies on on a fresh machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest

from nichevid.media import services, tools


@pytest.fixture
def no_system_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Hide the system ffmpeg/ffprobe from the media tools and record every command run."""
    real_which = shutil.which

    def which(name: str, *args: Any, **kwargs: Any) -> str | None:
        return None if name in ("ffmpeg", "ffprobe") else real_which(name, *args, **kwargs)

    monkeypatch.setattr(tools.shutil, "which", which)
    tools._which_ffmpeg.cache_clear()  # looked up once per process; look again without it
    commands: list[list[str]] = []
    real_run = tools.run_tool

    async def recording(args: list[str], **kwargs: Any) -> Any:
        commands.append(list(args))
        return await real_run(args, **kwargs)

    monkeypatch.setattr(tools, "run_tool", recording)
    for module in ("probe", "transcode", "images", "jobs"):
        mod = __import__(f"nichevid.media.{module}", fromlist=["run_tool"])
        if hasattr(mod, "run_tool"):
            monkeypatch.setattr(mod, "run_tool", recording)
    yield commands
    tools._which_ffmpeg.cache_clear()


@pytest.mark.parametrize(("clip", "seconds"), [("h264", 2), ("vp9", 1)])
async def test_clips_become_ready_with_only_the_bundled_ffmpeg(
    no_system_ffmpeg: list[list[str]],
    nv_resources: Any,
    nv_run_jobs: Any,
    creator: Any,
    clips: dict[str, Path],
    clip: str,
    seconds: int,
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips[clip], "bundled", "public")
    await nv_run_jobs()
    ready = await services.get_video(video_id=video.id)
    assert ready is not None
    assert ready.status == "ready", ready.failure_reason
    assert (ready.width, ready.height) == (160, 284)
    assert abs(ready.duration_ms - seconds * 1000) <= 100
    bundled = imageio_ffmpeg.get_ffmpeg_exe()
    assert no_system_ffmpeg, "no media tool ran"
    assert all(bundled in command for command in no_system_ffmpeg)
    assert not any("/usr/bin/ff" in part for command in no_system_ffmpeg for part in command)
