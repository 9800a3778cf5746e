"""The whole community loop in real browsers: a newcomer signs up and, once made a
creator, uploads a clip from the upload page and finds it on their profile; a second
newcomer finds it in the feed, watches it, likes it with a double tap, comments and
follows; the watch events the feed sent for that visit are stored and plausible."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe

from .conftest import DESKTOP, PHONE, db_rows, run_instance, shot

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
CARDS = "article.nv-card[data-nv-slug]"
# The slug of the card whose video plays alone, else "".
PLAYING = """() => {
  const playing = [...document.querySelectorAll('video.nv-card-video')].filter(v => !v.paused);
  return playing.length === 1 ? playing[0].closest('article').dataset.nvSlug : '';
}"""

# What each video of the page is doing, for failure messages.
VIDEOS = """() => [...document.querySelectorAll('video.nv-card-video')].map(v => ({
  slug: v.closest('article').dataset.nvSlug, paused: v.paused, time: v.currentTime,
  ready: v.readyState, error: v.error && v.error.message, top: v.getBoundingClientRect().top,
}))"""


@pytest.fixture(scope="module")
def flow_server(
    nv_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """An instance of its own whose For You order is rebuilt every half second (the default
    is a minute), so a new upload reaches the feed while the test waits."""
    with run_instance(
        nv_services,
        tmp_path_factory.mktemp("e2e-flow-data"),
        "e2e_flow",
        3,
        NICHEVID_PLUGIN__FEED__FORYOU_REFRESH_SECONDS="0.5",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second 360x640 clip with sound."""
    path = tmp_path_factory.mktemp("flow-media") / "ridge.mp4"
    command = [
        ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=330:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", path.as_posix(),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return path


@pytest.fixture
async def open_page(browser: Any) -> AsyncIterator[Callable[[dict[str, int]], Awaitable[Any]]]:
    """Opens a page in a browser context of its own (one person); all closed afterwards."""
    contexts: list[Any] = []

    async def make(viewport: dict[str, int]) -> Any:
        context = await browser.new_context(
            viewport=viewport,
            has_touch=viewport is PHONE,
            is_mobile=viewport is PHONE,
            locale="en-US",
        )
        contexts.append(context)
        page = await context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        return page

    yield make
    for context in contexts:
        await context.close()


async def sign_up(page: Any, url: str, username: str) -> None:
    """Create an account with the sign-up form; it signs in and lands on the feed."""
    await page.goto(url + "/signup")
    await page.fill("#username", username)
    await page.fill("#email", f"{username}@example.org")
    await page.fill("#password", PASSWORD)
    await page.click("main form button[type=submit]")
    await page.wait_for_url(url + "/")
    await page.get_by_role("link", name=username, exact=True).wait_for()


async def upload(page: Any, url: str, clip: Path, caption: str) -> str:
    """Send ``clip`` through the upload page and wait for the live status to say ready."""
    await page.goto(url + "/upload")
    await page.wait_for_function("!document.querySelector('#upload-submit').disabled")
    await page.set_input_files("#upload-file", str(clip))
    await page.fill("#upload-caption", caption)
    await page.select_option("#upload-visibility", "public")
    await page.click("#upload-submit")
    await page.wait_for_selector("#upload-status[data-status=ready]", timeout=90_000)
    slug = await page.get_attribute("#upload-status", "data-video")
    assert slug
    return slug


async def reach(page: Any, slug: str, phone: bool, loaded_at: float) -> float:
    """Move down the feed card by card (a swipe on phones, j on desktops) until the card of
    ``slug`` plays alone, reloading at the end of the feed; returns when it could start
    playing at the earliest: just before the last move or reload, else ``loaded_at``."""
    moved_at, moves, reloads = loaded_at, 0, 0
    for _ in range(30):
        playing = ""
        for _ in range(100):
            playing = await page.evaluate(PLAYING)
            if playing:
                break
            await asyncio.sleep(0.1)
        assert playing, f"no card plays alone: {await page.evaluate(VIDEOS)}"
        if playing == slug:
            print(f"reached {slug} after {moves} moves and {reloads} reloads")
            return moved_at
        moved_at = time.monotonic()
        last = await page.locator(CARDS).last.get_attribute("data-nv-slug")
        if playing == last and await page.locator(".nv-feed-end").count():
            # New uploads join For You when its order is next rebuilt: pull to refresh.
            await page.reload()
            reloads += 1
            continue
        if phone:
            await page.evaluate("window.scrollBy({top: innerHeight / 2 + 40, behavior: 'instant'})")
        else:
            await page.keyboard.press("j")
        moves += 1
        await page.wait_for_function(f"({PLAYING})() !== {playing!r}", timeout=15_000)
    raise AssertionError(f"the card of {slug} never came up in the feed")


async def double_tap(page: Any, target: Any, phone: bool) -> None:
    box = await target.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 3
    if phone:
        await page.touchscreen.tap(x, y)
        await page.touchscreen.tap(x, y)
    else:
        await page.mouse.dblclick(x, y)


async def stored_events(server: Any, session: str) -> list[dict[str, Any]]:
    """The watch events stored for the browser session ``session``, with their video."""
    return await db_rows(
        server,
        "SELECT e.watched_ms, e.completed, e.replays, e.skipped, e.feed, u.username, v.slug, "
        "v.duration_ms FROM nv_watch_event e JOIN nv_video v ON v.id = e.video "
        "LEFT JOIN nv_user u ON u.id = e.viewer WHERE e.session_id = ?",
        session,
    )


def check_plausible(events: list[dict[str, Any]], fan: str, played_ms: float) -> None:
    """Each viewing within the time the video could play and consistent with itself."""
    print(f"played for at most {played_ms:.0f} ms; stored: {events}")
    for event in events:
        duration = event["duration_ms"]
        assert 1800 <= duration <= 2300, event
        assert (event["username"], event["feed"]) == (fan, "foryou"), event
        assert 0 < event["watched_ms"] <= played_ms + 300, (event, played_ms)
        assert event["watched_ms"] <= duration * (event["replays"] + 1) + 300, event
        if event["replays"]:
            assert event["completed"], event
            assert event["watched_ms"] >= duration * event["replays"] * 0.8, event
        if not event["completed"]:
            assert event["watched_ms"] < duration, event
    # The fan watched the clip to its end and on.
    assert any(e["completed"] and e["replays"] >= 1 for e in events), (events, played_ms)
    assert all(not e["skipped"] for e in events), events


async def creator_posts(
    server: Any, page: Any, clip: Path, maker: str, request: pytest.FixtureRequest
) -> str:
    """``maker`` signs up, starts creating, uploads ``clip`` and sees it on the profile."""
    url = server.url
    await sign_up(page, url, maker)
    await shot(page, request, "1-a-signed-up")
    # Sign-up makes members; on this site (the default) any member starts creating at once.
    await page.goto(f"{url}/upload")
    await page.click("#nv-start-creating button")
    await page.locator("#nv-upload").wait_for()
    slug = await upload(page, url, clip, f"Ridge run by {maker} #ridgeflow")
    await shot(page, request, "2-a-uploaded")
    await page.goto(f"{url}/u/{maker}")
    await page.locator(f"#g-{slug}").wait_for()
    await shot(page, request, "3-a-profile")
    return slug


async def like_and_comment(
    page: Any, card: Any, maker: str, phone: bool, request: pytest.FixtureRequest
) -> None:
    """A double tap on the video likes it; a comment from the card's sheet shows in it."""
    like = card.locator("[data-nv-like]")
    assert await like.get_attribute("aria-pressed") == "false"
    await double_tap(page, card.locator("video.nv-card-video"), phone)
    await card.locator("[data-nv-like][aria-pressed=true]").wait_for(timeout=5_000)
    assert await card.locator("[data-nv-like] .nv-action-count").inner_text() == "1"
    await shot(page, request, "6-b-liked")

    await card.locator(".nv-card-comments").click()
    sheet = card.locator(".nv-comments-sheet")
    await sheet.locator("textarea[name=text]").fill(f"Lovely line @{maker}")
    await sheet.get_by_role("button", name="Post").click()
    posted = sheet.locator(".nv-comment-text", has_text="Lovely line")
    await posted.wait_for()
    assert await posted.locator("a.nv-mention").inner_text() == f"@{maker}"
    await shot(page, request, "7-b-commented")
    await page.keyboard.press("Escape")
    assert await sheet.is_hidden()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_sign_up_upload_watch_like_comment_follow(
    flow_server: Any,
    open_page: Callable[[dict[str, int]], Awaitable[Any]],
    clip: Path,
    request: pytest.FixtureRequest,
    viewport: dict[str, int],
) -> None:
    url, phone = flow_server.url, viewport is PHONE
    tag = "p" if phone else "d"
    maker, fan = f"ridge_runner_{tag}", f"ridge_fan_{tag}"
    a = await open_page(viewport)
    slug = await creator_posts(flow_server, a, clip, maker, request)

    # B signs up in a browser of their own, finds the video in the feed and watches it.
    b = await open_page(viewport)
    loaded_at = time.monotonic()
    await sign_up(b, url, fan)
    await shot(b, request, "4-b-feed")
    started = await reach(b, slug, phone, loaded_at)
    card = b.locator(f"#v-{slug}")
    before = await card.locator("video").evaluate("v => v.currentTime")
    await b.wait_for_function(
        f"document.querySelector('#v-{slug} video').currentTime !== {before}", timeout=5_000
    )
    # B watches to the end: the clip starts over.
    await b.wait_for_function(
        f"""() => {{
          const t = document.querySelector('#v-{slug} video').currentTime;
          const looped = t < (window.lastTime || 0) - 0.5;
          window.lastTime = t;
          return looped;
        }}""",
        polling=100,
        timeout=10_000,
    )
    await shot(b, request, "5-b-watching")
    await like_and_comment(b, card, maker, phone, request)
    likes = await db_rows(
        flow_server,
        "SELECT l.id FROM nv_like l JOIN nv_video v ON v.id = l.video "
        "JOIN nv_user u ON u.id = l.viewer WHERE v.slug = ? AND u.username = ?",
        slug,
        fan,
    )
    assert len(likes) == 1

    # The creator's name on the card opens the profile (in a new tab here): B follows A.
    href = await card.locator(".nv-card-creator").get_attribute("href")
    assert href == f"/u/{maker}"
    profile = await b.context.new_page()
    await profile.goto(url + href)
    await profile.get_by_role("button", name="Follow").click()
    await profile.locator("#nv-profile-stats .nv-follow[aria-pressed=true]").wait_for()
    assert "1 Follower" in " ".join((await profile.inner_text("#nv-profile-stats")).split())
    await shot(profile, request, "8-b-following")
    await profile.close()

    # Closing the feed's tab ends the viewing; the page sends its events with a beacon.
    assert b.console_errors == []
    await b.close(run_before_unload=True)
    played_ms = (time.monotonic() - started) * 1000
    cookie = None
    for _ in range(100):
        cookie = next((c for c in await b.context.cookies() if c["name"] == "nv_viewer"), None)
        if cookie:
            break
        await asyncio.sleep(0.2)
    assert cookie is not None, "no nv_viewer cookie: the events never reached the server"
    events: list[dict[str, Any]] = []
    for _ in range(100):
        events = await stored_events(flow_server, cookie["value"])
        if any(e["slug"] == slug for e in events):
            break
        await asyncio.sleep(0.2)
    check_plausible([e for e in events if e["slug"] == slug], fan, played_ms)

    # A hears about the follow.
    await a.goto(url + "/notifications")
    items = [" ".join(t.split()) for t in await a.locator(".nv-notification").all_inner_texts()]
    assert any(f"{fan} started following you" in item for item in items), items
    await shot(a, request, "9-a-notified")
    assert a.console_errors == []
