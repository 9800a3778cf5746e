"""Two members in two browsers: one follows the other and likes a video with the button,
sees the count change, and the creator sees the notification badge."""

from __future__ import annotations

import asyncio
import re
import subprocess
from typing import Any

import httpx
import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
CREATOR = "rope_setter"
FAN = "wall_fan"


def _ffmpeg(*args: str) -> None:
    command = [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=120)


@pytest.fixture(scope="module")
def members(live_server: Any) -> dict[str, str]:
    """A creator and a member, made with the real command; the creator's API token."""
    for name, role in ((CREATOR, "creator"), (FAN, "member")):
        result = live_server.cli(
            "user", "create", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n"
        )
        assert result.returncode == 0, result.stdout + result.stderr
    token = live_server.cli("user", "token", CREATOR, "--name", "e2e")
    assert token.returncode == 0, token.stdout + token.stderr
    return {"token": token.stdout.strip().split()[-1]}


@pytest.fixture(scope="module")
async def video(
    live_server: Any, members: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A short clip uploaded by the creator through the API, processed until ready."""
    clip = tmp_path_factory.mktemp("social-media") / "route.mp4"
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=360x640:rate=25:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        clip.as_posix(),
    )
    headers = {"Authorization": f"Bearer {members['token']}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers, timeout=60) as api:
        created = await api.post(
            "/api/videos/",
            params={"caption": "New route on the slab #slab", "filename": "route.mp4"},
            content=clip.read_bytes(),
        )
        assert created.status_code == 201, created.text
        slug = str(created.json()["id"])
        for _ in range(180):
            status = (await api.get(f"/api/videos/{slug}")).json()["status"]
            if status == "ready":
                return slug
            assert status == "processing", status
            await asyncio.sleep(0.5)
    raise AssertionError("the uploaded video did not become ready within 90 s")


async def log_in(page: Any, url: str, username: str, then: str) -> None:
    await page.goto(f"{url}/login?next={then}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(url + then)


async def test_follow_like_and_the_creator_is_told(
    live_server: Any, video: str, desktop_page: Any, phone_page: Any
) -> None:
    url = live_server.url
    fan, creator = phone_page, desktop_page

    # The fan follows the creator from the profile.
    await log_in(fan, url, FAN, f"/u/{CREATOR}")
    stats = fan.locator("#nv-profile-stats")
    assert "0 Followers" in " ".join((await stats.inner_text()).split())
    await fan.get_by_role("button", name="Follow").click()
    await fan.wait_for_selector("#nv-profile-stats .nv-follow[aria-pressed=true]")
    assert "1 Follower" in " ".join((await stats.inner_text()).split())

    # The creator's video is in the fan's Following feed; the like button counts.
    await fan.goto(url + "/following")
    card = fan.locator(f"#v-{video}")
    await card.wait_for()
    like = card.locator("[data-nv-like]")
    assert await like.get_attribute("aria-pressed") == "false"
    assert await like.locator(".nv-action-count").inner_text() == "0"
    await like.click()
    liked = fan.locator(f"#v-{video} [data-nv-like][aria-pressed=true]")
    await liked.wait_for()
    assert await liked.locator(".nv-action-count").inner_text() == "1"
    # The card's video did not stop or toggle sound: the button is an action.
    assert fan.console_errors == []

    # The creator sees the badge, then the notifications, and the badge goes.
    await log_in(creator, url, CREATOR, "/")
    badge = creator.locator(".nv-nav-bell .nv-badge")
    await badge.wait_for()
    assert re.match(r"^2\s*unread$", (await badge.inner_text()).strip())
    await creator.screenshot(path=str(ARTIFACTS / "social-badge-desktop.png"))
    await creator.click(".nv-nav-bell")
    await creator.wait_for_url(url + "/notifications")
    items = await creator.locator(".nv-notification").all_inner_texts()
    assert any(f"{FAN} liked your video" in " ".join(i.split()) for i in items), items
    assert any(f"{FAN} started following you" in " ".join(i.split()) for i in items), items
    assert await creator.locator(".nv-nav-bell .nv-badge").count() == 0
    assert creator.console_errors == []
