"""A newcomer's first look: the demo feed plays, and signing up works, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_server(live_server: Any) -> Any:
    """The live server with the demo content seeded through the real command."""
    result = live_server.cli("demo", "--seconds", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ready" in result.stdout.lower()
    return live_server


async def test_demo_feed_plays_the_visible_video_on_a_phone(
    demo_server: Any, phone_page: Any
) -> None:
    await phone_page.goto(demo_server.url + "/")
    first = phone_page.locator("video.nv-card-video").first
    await first.wait_for()
    # The page itself starts the visible video (muted, inline); time must really advance.
    await phone_page.wait_for_function(
        "document.querySelector('video.nv-card-video').currentTime > 0.3", timeout=15_000
    )
    assert await first.evaluate("v => v.muted && !v.paused") is True
    others = await phone_page.eval_on_selector_all(
        "video.nv-card-video", "vs => vs.slice(1).filter(v => !v.paused).length"
    )
    assert others == 0
    assert phone_page.console_errors == []


async def test_sign_up_then_see_your_profile_on_desktop(
    live_server: Any, desktop_page: Any
) -> None:
    page = desktop_page
    await page.goto(live_server.url + "/signup")
    await page.fill("#username", "rope_ada")
    await page.fill("#email", "ada@example.org")
    await page.fill("#display_name", "Ada on the wall")
    await page.fill("#password", "correct horse battery staple")
    await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")
    nav = page.locator("nav")
    assert "Ada on the wall" in await nav.inner_text()
    await page.goto(live_server.url + "/u/rope_ada")
    assert "Ada on the wall" in await page.locator("main").inner_text()
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["nv_session"]["httpOnly"] is True
    assert cookies["nv_session"]["sameSite"] == "Lax"


async def test_sign_up_with_a_taken_name_keeps_the_form_and_explains(
    live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    for attempt in range(2):
        await page.goto(live_server.url + "/signup")
        await page.fill("#username", "twice_taken")
        await page.fill("#email", f"twice{attempt}@example.org")
        await page.fill("#password", "another long passphrase")
        await page.click("button[type=submit]")
        await page.wait_for_load_state("networkidle")
        if attempt == 0:
            await page.context.clear_cookies()
    alert = page.locator("[role=alert]")
    assert "taken" in (await alert.inner_text()).lower()
    assert await page.input_value("#email") == "twice1@example.org"
