"""Helpers for the media tests: tiny generated clips and a creator account."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe

PASSWORD = "correct horse battery"


def _ffmpeg(*args: str) -> None:
    command = [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=120)


def _lavfi(seconds: float, size: str = "160x284") -> list[str]:
    return [
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
    ]  # fmt: skip


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small source files, made once per session: compatible, incompatible and broken."""
    folder = tmp_path_factory.mktemp("clips")
    made = {
        "h264": folder / "h264.mp4",
        "vp9": folder / "vp9.webm",
        "mpeg4": folder / "mpeg4.avi",
        "broken": folder / "broken.mp4",
        "playlist": folder / "playlist.mp4",
    }
    _ffmpeg(
        *_lavfi(2), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", made["h264"].as_posix()
    )
    _ffmpeg(*_lavfi(1), "-c:v", "libvpx-vp9", "-b:v", "200k", "-deadline", "realtime",
            "-c:a", "libopus", made["vp9"].as_posix())  # fmt: skip
    _ffmpeg(*_lavfi(1, "161x285"), "-c:v", "mpeg4", "-c:a", "mp3", made["mpeg4"].as_posix())
    made["broken"].write_text("this is not a video, just text with an .mp4 name\n" * 20)
    made["playlist"].write_text(
        "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    )
    return made


@pytest.fixture
async def creator(nv_resources: Any) -> Any:
    """A creator account, made through the accounts service."""
    from nichevid.accounts import services

    return await services.create_user(
        nv_resources.settings,
        nv_resources.pm,
        username="maker",
        email="maker@example.com",
        password=PASSWORD,
        role="creator",
    )


async def stored_keys(resources: Any, prefix: str = "videos/") -> list[str]:
    """Every storage key under ``prefix``."""
    return sorted([obj.key async for obj in resources.storage.list(prefix)])


async def assert_plays_with_signed_media(client: Any, slug: str) -> None:
    """The signed-in ``client`` watches the gated video ``slug``: its page is theirs alone,
    without link-preview media, and plays from a signed URL that answers."""
    import re
    from urllib.parse import parse_qs, urlsplit

    page = await client.get(f"/v/{slug}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert 'property="og:video"' not in page.text
    prefix = re.escape(f"videos/{slug}/")
    [src] = re.findall(rf'src="(/media/{prefix}360p\.mp4\?[^"]+)"', page.text)
    src = src.replace("&amp;", "&")
    assert "sig" in parse_qs(urlsplit(src).query)
    assert (await client.get(src)).status_code == 200
