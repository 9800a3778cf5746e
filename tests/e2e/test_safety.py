"""A member blocks another from the profile; the blocked member no longer sees the blocker's
videos in the feed or on the profile. The break reminder appears after the niche's tiny
setting, takes the keyboard focus and goes with Escape."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe

from .conftest import ARTIFACTS, DESKTOP, PHONE, run_instance

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
CREATOR, VIEWER = "calm_creator", "calm_viewer"
# The niche's break reminder: three seconds, so the test does not wait minutes.
BREAK_MINUTES = "0.05"


@pytest.fixture(scope="module")
def safety_server(
    nv_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """An instance of its own with a tiny break reminder and a For You rebuilt every half
    second, so a new upload reaches the feed while the test waits."""
    with run_instance(
        nv_services,
        tmp_path_factory.mktemp("e2e-safety-data"),
        "e2e_safety",
        5,
        NICHEVID_PLUGIN__FEED__FORYOU_REFRESH_SECONDS="0.5",
        NICHEVID_PLUGIN__SAFETY__BREAK_REMINDER_MINUTES=BREAK_MINUTES,
    ) as server:
        yield server


@pytest.fixture(scope="module")
async def video(safety_server: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two members made with the real command; a clip the creator uploads, until ready."""
    for name, role in ((CREATOR, "creator"), (VIEWER, "member")):
        made = safety_server.cli(
            "user", "create", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n"
        )
        assert made.returncode == 0, made.stdout + made.stderr
    token = safety_server.cli("user", "token", CREATOR, "--name", "e2e").stdout.split()[-1]
    clip = tmp_path_factory.mktemp("safety-media") / "calm.mp4"
    command = [
        ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=262:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", clip.as_posix(),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=safety_server.url, headers=headers, timeout=60) as api:
        created = await api.post(
            "/api/videos/",
            params={"caption": "Quiet lake #calm", "filename": "calm.mp4"},
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


@pytest.fixture
async def person(browser: Any) -> AsyncIterator[Any]:
    """Opens pages, each in a browser context of its own; closed afterwards."""
    contexts: list[Any] = []

    async def make(viewport: dict[str, int]) -> Any:
        context = await browser.new_context(
            viewport=viewport, has_touch=viewport is PHONE, is_mobile=viewport is PHONE
        )
        contexts.append(context)
        page = await context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        return page

    yield make
    for context in contexts:
        await context.close()


async def log_in(page: Any, url: str, username: str, then: str) -> None:
    await page.goto(f"{url}/login?next={then}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("main form button[type=submit]")
    await page.wait_for_url(url + then)


async def dismiss_break(page: Any) -> None:
    """The break notice may come up while the test works: it goes with Escape."""
    if await page.locator("#nv-break:not([hidden])").count():
        await page.keyboard.press("Escape")


async def test_a_blocked_member_no_longer_sees_the_blocker(
    safety_server: Any, video: str, person: Any
) -> None:
    url = safety_server.url
    viewer, creator = await person(PHONE), await person(DESKTOP)

    # Before: the viewer finds the creator's video in For You and on the profile.
    await log_in(viewer, url, VIEWER, "/")
    card = viewer.locator(f"#v-{video}")
    for _ in range(40):
        if await card.count():
            break
        await asyncio.sleep(0.5)
        await viewer.reload()
    assert await card.count() == 1, "the new video never reached For You"
    await viewer.goto(f"{url}/u/{CREATOR}")
    assert await viewer.locator(f'a[href="/v/{video}"]').count() >= 1

    # The creator blocks the viewer from the viewer's profile.
    await log_in(creator, url, CREATOR, f"/u/{VIEWER}")
    await dismiss_break(creator)
    await creator.get_by_role("button", name="Block", exact=True).click()
    await creator.wait_for_url(f"{url}/u/{VIEWER}")
    await creator.get_by_role("button", name="Unblock", exact=True).wait_for()
    await creator.screenshot(path=str(ARTIFACTS / "safety-blocked-desktop.png"))

    # After: not in the viewer's feed, and the profile is not there for them.
    await viewer.goto(url + "/")
    await viewer.locator("main").wait_for()
    assert await viewer.locator(f"#v-{video}").count() == 0
    profile = await viewer.goto(f"{url}/u/{CREATOR}")
    assert profile is not None
    assert profile.status == 404
    assert await viewer.locator(f'a[href="/v/{video}"]').count() == 0
    page = await viewer.goto(f"{url}/v/{video}")
    assert page is not None
    assert page.status == 404

    # The two "not found" pages were the point; nothing else failed in the page.
    assert all("404" in error for error in viewer.console_errors), viewer.console_errors
    viewer.console_errors.clear()

    # The creator lifts the block in Settings; the profile comes back.
    await creator.goto(url + "/settings/safety")
    await creator.get_by_role("button", name=f"Unblock @{VIEWER}").click()
    await creator.wait_for_url(url + "/settings/safety")
    assert "You block nobody." in await creator.locator("main").inner_text()
    profile = await viewer.goto(f"{url}/u/{CREATOR}")
    assert profile is not None
    assert profile.status == 200
    assert viewer.console_errors == []
    assert creator.console_errors == []


async def test_the_break_reminder_comes_after_the_set_minutes(
    safety_server: Any, video: str, person: Any
) -> None:
    url = safety_server.url
    page = await person(DESKTOP)
    await page.goto(url + "/")
    notice = page.locator("#nv-break")
    await notice.wait_for(state="attached")
    assert await notice.is_hidden()
    started = asyncio.get_running_loop().time()
    await notice.wait_for(state="visible", timeout=15_000)
    waited = asyncio.get_running_loop().time() - started
    # Three seconds of visible feed (counted from when the notice arrived).
    assert 1.5 <= waited <= 10, waited
    dialog = page.get_by_role("dialog", name="Time for a break?")
    assert await dialog.is_visible()
    keep = page.get_by_role("button", name="Keep watching")
    assert await keep.evaluate("b => b === document.activeElement")
    # The feed's video is paused behind the notice.
    assert await page.evaluate(
        "[...document.querySelectorAll('video.nv-card-video')].every(v => v.paused)"
    )
    await page.screenshot(path=str(ARTIFACTS / "safety-break-desktop.png"))
    await page.keyboard.press("Escape")
    await notice.wait_for(state="hidden")
    # The count starts again: the notice comes back after another stretch.
    await notice.wait_for(state="visible", timeout=15_000)
    await keep.click()
    await notice.wait_for(state="hidden")
    assert page.console_errors == []
