"""A caption's @mentions are notified when the video's processing makes it playable."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from nichevid.media import services
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe
from nichevid.social.notifications import unread_count


async def test_mentioned_members_hear_of_a_video_once_it_is_ready(
    nv_resources: Any, nv_run_jobs: Any, make_user: Any, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    subprocess.run(
        [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc2=size=160x284:rate=25:duration=1", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", str(clip)],
        check=True, timeout=60,
    )  # fmt: skip
    maker = await make_user("maker", role="creator")
    friend = await make_user("friend")
    video = await services.ingest_file(nv_resources, maker, clip, "Look @friend and @maker")
    assert await unread_count(friend) == 0
    await nv_run_jobs()
    ready = await services.get_video(video_id=video.id)
    assert ready is not None
    assert ready.status == "ready"
    assert await unread_count(friend) == 1
    assert await unread_count(maker) == 0  # no self-notification
    # Processing again (a new ladder, a retry) does not notify again.
    assert await services.enqueue_processing(nv_resources, video.id)
    await nv_run_jobs()
    assert await unread_count(friend) == 1
