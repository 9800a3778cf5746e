"""The swipe feed in a real browser: playback, moving between cards, sound, likes, events."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

CARDS = "article.nv-card[data-nv-slug]"
# Index of the card whose video plays (-1: none), and how many videos play.
PLAYING = """() => {
  const videos = [...document.querySelectorAll('video.nv-card-video')];
  const playing = videos.map((v, i) => (!v.paused ? i : -1)).filter((i) => i >= 0);
  return {index: playing.length === 1 ? playing[0] : -1, count: playing.length};
}"""


@pytest.fixture(scope="module")
def feed_server(live_server: Any) -> Any:
    """The live server with the demo videos (more than one page of cards)."""
    result = live_server.cli("demo", "--seconds", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return live_server


async def shot(page: Any, request: pytest.FixtureRequest, label: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"))


async def wait_playing(page: Any, index: int) -> None:
    """Wait until card ``index`` alone plays and its time really advances."""
    await page.wait_for_function(
        f"""() => {{
          const videos = [...document.querySelectorAll('video.nv-card-video')];
          const v = videos[{index}];
          return v && !v.paused && v.currentTime > 0.2 &&
            videos.every((o, i) => i === {index} || o.paused);
        }}""",
        timeout=15_000,
    )
    before = await page.evaluate(
        f"document.querySelectorAll('video.nv-card-video')[{index}].currentTime"
    )
    await page.wait_for_function(
        f"document.querySelectorAll('video.nv-card-video')[{index}].currentTime !== {before}",
        timeout=5_000,
    )


async def test_phone_plays_the_visible_card_swipes_and_loads_the_next_batch(
    feed_server: Any, phone_page: Any, request: pytest.FixtureRequest
) -> None:
    page = phone_page
    await page.goto(feed_server.url + "/")
    await wait_playing(page, 0)
    first = page.locator("video.nv-card-video").first
    assert await first.evaluate("v => v.muted && v.playsInline") is True
    # The next card's video is preloaded in full, the others only their metadata.
    assert await page.eval_on_selector_all(
        "video.nv-card-video", "vs => vs.map(v => v.preload)"
    ) == ["metadata", "auto", "metadata", "metadata", "metadata"]
    box = await page.locator(CARDS).first.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}

    # A swipe is a native scroll; snapping lands on the next card, which plays alone.
    await page.evaluate("window.scrollBy({top: innerHeight / 2 + 40, behavior: 'instant'})")
    await wait_playing(page, 1)
    assert await page.evaluate(PLAYING) == {"index": 1, "count": 1}
    await shot(page, request, "second-card")

    cards_before = await page.locator(CARDS).count()
    assert cards_before == 5
    for _ in range(3):
        await page.keyboard.press("j")
        await page.wait_for_timeout(500)
    await wait_playing(page, 4)
    # Reaching the last card loads the next batch into the space kept for it.
    await page.wait_for_function(f"document.querySelectorAll('{CARDS}').length > 5")
    top = await page.locator(CARDS).nth(4).evaluate("c => c.getBoundingClientRect().top")
    assert abs(top) < 2  # the swap moved nothing on screen
    await page.keyboard.press("j")
    await wait_playing(page, 5)
    assert page.console_errors == []


async def test_a_tap_toggles_sound_for_the_session_and_a_double_tap_likes(
    feed_server: Any, phone_page: Any, request: pytest.FixtureRequest
) -> None:
    page = phone_page
    await page.goto(feed_server.url + "/")
    await wait_playing(page, 0)
    card = page.locator(CARDS).first
    sound = card.locator(".nv-card-sound")
    assert await sound.get_attribute("aria-pressed") == "false"

    await card.locator("video").tap()
    await page.wait_for_function("!document.querySelector('video.nv-card-video').muted")
    assert await page.evaluate("sessionStorage.getItem('nv-sound')") == "on"
    assert await sound.get_attribute("aria-pressed") == "true"
    # Remembered: the next card plays with sound too.
    await page.keyboard.press("j")
    await wait_playing(page, 1)
    assert await page.locator("video.nv-card-video").nth(1).evaluate("v => v.muted") is False
    await page.locator(CARDS).nth(1).locator("video").tap()
    await page.wait_for_function("document.querySelectorAll('video.nv-card-video')[1].muted")
    assert await page.evaluate("sessionStorage.getItem('nv-sound')") == "off"

    # The like button is another package's: stand one in that counts its clicks.
    second = page.locator(CARDS).nth(1)
    await second.evaluate(
        """c => {
          c.querySelectorAll('[data-nv-like]').forEach(b => b.remove());
          const b = document.createElement('button');
          b.type = 'button'; b.dataset.nvLike = ''; b.setAttribute('aria-pressed', 'false');
          b.addEventListener('click', () => {
            window.likes = (window.likes || 0) + 1; b.setAttribute('aria-pressed', 'true');
          });
          c.querySelector('.nv-card-actions').append(b);
        }"""
    )
    video_box = await second.locator("video").bounding_box()
    assert video_box is not None
    x, y = video_box["x"] + video_box["width"] / 2, video_box["y"] + video_box["height"] / 3
    for _ in range(2):
        await page.touchscreen.tap(x, y)
        await page.touchscreen.tap(x, y)
        await page.wait_for_selector(".nv-heart", state="attached", timeout=2_000)
        await shot(page, request, "heart")
        await page.wait_for_selector(".nv-heart", state="detached", timeout=3_000)
    assert await page.evaluate("window.likes") == 1  # the second double-tap found it pressed
    # A double-tap is not a tap: sound stayed off.
    assert await page.evaluate("sessionStorage.getItem('nv-sound')") == "off"

    # Without any like button the heart still shows and nothing else happens.
    await second.evaluate("c => c.querySelectorAll('[data-nv-like]').forEach(b => b.remove())")
    url = page.url
    await page.touchscreen.tap(x, y)
    await page.touchscreen.tap(x, y)
    await page.wait_for_selector(".nv-heart", state="attached", timeout=2_000)
    await page.wait_for_timeout(500)
    assert page.url == url
    assert page.console_errors == []


async def test_desktop_keys_and_wheel_move_between_cards_with_controls_beside_the_video(
    feed_server: Any, desktop_page: Any, request: pytest.FixtureRequest
) -> None:
    page = desktop_page
    await page.goto(feed_server.url + "/")
    await wait_playing(page, 0)
    card = page.locator(CARDS).first
    media = await card.locator(".nv-card-media").bounding_box()
    actions = await card.locator(".nv-card-actions").bounding_box()
    assert media is not None
    assert actions is not None
    # A centred column, the action buttons beside the video rather than over it.
    assert abs(media["x"] + media["width"] / 2 - 640) < 2
    assert actions["x"] >= media["x"] + media["width"]

    await page.keyboard.press("ArrowDown")
    await wait_playing(page, 1)
    focused = await page.evaluate(
        "document.activeElement === document.querySelectorAll('article.nv-card')[1] && "
        "document.activeElement.matches(':focus-visible')"
    )
    assert focused is True
    await shot(page, request, "focused")
    await page.keyboard.press("k")
    await wait_playing(page, 0)

    await page.mouse.move(640, 400)
    await page.mouse.wheel(0, 120)
    await wait_playing(page, 1)
    await page.wait_for_timeout(700)  # one card per wheel gesture
    await page.mouse.wheel(0, 120)
    await wait_playing(page, 2)
    await page.wait_for_timeout(700)
    await page.mouse.wheel(0, -120)
    await wait_playing(page, 1)
    assert page.console_errors == []


async def test_desktop_shortcuts_toggle_sound_open_comments_and_list_themselves(
    feed_server: Any, desktop_page: Any, request: pytest.FixtureRequest
) -> None:
    page = desktop_page
    await page.goto(feed_server.url + "/")
    await wait_playing(page, 0)
    sound = page.locator(CARDS).first.locator(".nv-card-sound")
    assert await sound.get_attribute("aria-pressed") == "false"
    await page.keyboard.press("m")
    await page.wait_for_function(
        "document.querySelector('video.nv-card-video').muted === false", timeout=5_000
    )
    assert await sound.get_attribute("aria-pressed") == "true"
    await page.keyboard.press("m")
    assert await sound.get_attribute("aria-pressed") == "false"
    # c opens the card's comments in their sheet.
    await page.keyboard.press("c")
    sheet = page.locator(CARDS).first.locator(".nv-comments-sheet")
    await sheet.wait_for(state="visible", timeout=5_000)
    await page.keyboard.press("Escape")
    # ? lists the keys in a dialog, as does the button; Escape closes it, focus comes back.
    keys = page.locator("dialog#nv-keys")
    await page.keyboard.press("?")
    await keys.wait_for(state="visible")
    assert "Sound on or off" in await keys.inner_text()
    await shot(page, request, "shortcuts")
    # Keys typed while the list is open do not move the feed behind it.
    await page.keyboard.press("j")
    assert (await page.evaluate(PLAYING))["index"] == 0
    await page.keyboard.press("Escape")
    await keys.wait_for(state="hidden")
    await page.locator("[data-nv-keys]").click()
    await keys.wait_for(state="visible")
    await keys.get_by_role("button", name="Close").click()
    await keys.wait_for(state="hidden")
    assert page.console_errors == []


async def test_reduced_motion_scrolls_without_smoothing_or_animation(
    feed_server: Any, phone_page: Any
) -> None:
    page = phone_page
    await page.emulate_media(reduced_motion="reduce")
    await page.goto(feed_server.url + "/")
    await wait_playing(page, 0)
    behaviour = await page.evaluate("getComputedStyle(document.documentElement).scrollBehavior")
    assert behaviour == "auto"
    await page.emulate_media(reduced_motion="no-preference")
    assert (
        await page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "smooth"
    )
    await page.emulate_media(reduced_motion="reduce")
    await page.keyboard.press("j")
    # Without smoothing the page is already at the next card when the key returns.
    assert await page.evaluate("Math.round(scrollY)") == 844
    # Signed out, the like button leads to the login page: leave it out here.
    await page.evaluate("document.querySelectorAll('[data-nv-like]').forEach(b => b.remove())")
    await page.touchscreen.tap(195, 300)
    await page.touchscreen.tap(195, 300)
    heart = page.locator(".nv-heart")
    await heart.wait_for(state="attached", timeout=2_000)
    name = await heart.evaluate("h => getComputedStyle(h, '::before').animationName")
    assert name == "none"


async def _stored_events(server: Any, session: str) -> list[dict[str, Any]]:
    query = (
        "SELECT e.watched_ms, e.completed, e.skipped, e.replays, e.feed, v.slug "
        "FROM nv_watch_event e JOIN nv_video v ON v.id = e.video WHERE e.session_id = "
    )
    url = server.env.get("NICHEVID_DATABASE_URL")
    if url:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return [dict(r) for r in await conn.fetch(query + "$1", session)]
        finally:
            await conn.close()
    with sqlite3.connect(Path(server.data_dir) / "nichevid.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(query + "?", (session,)).fetchall()]


async def test_watch_events_of_a_visit_are_stored_with_plausible_durations(
    feed_server: Any, desktop_page: Any
) -> None:
    page = desktop_page
    started = time.monotonic()
    await page.goto(feed_server.url + "/")
    await wait_playing(page, 0)
    slugs = await page.eval_on_selector_all(CARDS, "cs => cs.map(c => c.dataset.nvSlug)")
    await page.wait_for_timeout(1500)
    await page.keyboard.press("j")
    await wait_playing(page, 1)
    await page.wait_for_timeout(2500)
    await page.keyboard.press("j")
    await wait_playing(page, 2)
    await page.wait_for_timeout(1000)
    # Leaving the page sends the queued events with a beacon.
    await page.goto(feed_server.url + "/login")
    wall_ms = (time.monotonic() - started) * 1000
    # The viewer cookie comes with the answer to the first batch: here, the beacon's.
    cookie = None
    deadline = time.monotonic() + 15
    while cookie is None and time.monotonic() < deadline:
        cookies = await page.context.cookies()
        cookie = next((c for c in cookies if c["name"] == "nv_viewer"), None)
        await asyncio.sleep(0.2)
    assert cookie is not None, "no nv_viewer cookie: the events never reached the server"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        events = await _stored_events(feed_server, cookie["value"])
        if len(events) >= 3:
            break
        await asyncio.sleep(0.3)
    assert {e["slug"] for e in events} == set(slugs[:3]), events
    assert len(events) == 3
    for stored in events:
        assert 0 < stored["watched_ms"] <= wall_ms
        assert stored["feed"] == "foryou"
    assert sum(e["watched_ms"] for e in events) <= wall_ms
    # The middle card played longer than a 2-second clip: it looped and completed.
    middle = next(e for e in events if e["slug"] == slugs[1])
    assert middle["completed"]
    assert middle["replays"] >= 1
    assert not middle["skipped"]
