"""A creator uploads from the upload page in a real browser: progress, pause and resume,
processing status, the video page; bad files are refused before anything is sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe

from .conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
CREATOR = "clip_maker"


def _ffmpeg(*args: str) -> None:
    command = [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=120)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A short vertical clip, a larger noisy one (several pieces) and a text file."""
    folder = tmp_path_factory.mktemp("upload-media")
    clip, noisy, text = folder / "ridge.mp4", folder / "noisy.mp4", folder / "notes.txt"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25:duration=3",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip.as_posix(),
    )  # fmt: skip
    # Noise hardly compresses: a few seconds make megabytes.
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25:duration=4",
        "-vf", "noise=alls=100:allf=t+u", "-c:v", "libx264", "-preset", "ultrafast",
        "-b:v", "6M", "-pix_fmt", "yuv420p", noisy.as_posix(),
    )  # fmt: skip
    text.write_text("Shopping list: rope, chalk, tape.\n")
    assert 2_000_000 <= noisy.stat().st_size <= 5_000_000, noisy.stat().st_size
    return {"clip": clip, "noisy": noisy, "text": text}


@pytest.fixture(scope="module")
def creator(live_server: Any) -> str:
    """A creator account, made with the real command."""
    result = live_server.cli(
        "user", "create", CREATOR, "--role", "creator", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return CREATOR


async def open_upload_page(page: Any, url: str) -> None:
    """Log in on the way to /upload, as a creator following the login redirect."""
    await page.goto(url + "/upload")
    assert "/login?next=/upload" in page.url
    await page.fill("#username", CREATOR)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(url + "/upload")
    await page.wait_for_function("!document.querySelector('#upload-submit').disabled")


async def throttle(page: Any) -> None:
    """Small pieces, each held back a little, so there is time to act between them."""

    async def slow(route: Any) -> None:
        await asyncio.sleep(0.25)
        # The page may have aborted this request meanwhile (Pause, Cancel).
        with contextlib.suppress(Exception):
            await route.continue_()

    await page.route("**/uploads/*", slow)
    await page.evaluate("document.querySelector('#nv-upload').dataset.chunkSize = 262144")


async def upload_info(page: Any, upload_id: str = "") -> dict[str, Any]:
    """``GET /api/uploads/{id}`` (default: the page's current upload), with its session."""
    upload_id = upload_id or await page.get_attribute("#nv-upload", "data-upload-id") or ""
    assert upload_id, "the page has no upload in progress"
    text = await page.evaluate(
        "id => fetch('/api/uploads/' + id, {headers: {accept: 'application/json'}})"
        ".then(r => r.text())",
        upload_id,
    )
    info: dict[str, Any] = json.loads(text)
    return info


async def test_a_creator_uploads_on_a_phone_and_watches_the_result(
    live_server: Any, creator: str, media: dict[str, Path], phone_page: Any
) -> None:
    page = phone_page
    await open_upload_page(page, live_server.url)
    # The nav, one link longer for creators, still fits the phone's width.
    assert await page.evaluate("document.querySelector('.nv-nav').scrollWidth <= window.innerWidth")
    await page.get_by_role("button", name="Log out").wait_for()
    assert await page.get_attribute("#upload-file", "accept") == "video/*"
    await page.set_input_files("#upload-file", str(media["clip"]))
    assert "ridge.mp4" in await page.inner_text("#upload-chosen")
    caption = "Morning on the ridge #Alpine #alpine with @clip_maker"
    await page.fill("#upload-caption", caption)
    assert await page.inner_text("#upload-counter span") == str(len(caption))
    chips = await page.locator("#upload-preview .nv-chip").all_inner_texts()
    assert chips == ["#alpine", "@clip_maker"]
    await page.select_option("#upload-visibility", "public")
    # One box ticked, one left alone: only the ticked one says yes.
    await page.get_by_label("Let viewers download this video").check()
    assert not await page.get_by_label("Close comments on this video").is_checked()
    await page.click("#upload-submit")

    await page.wait_for_function(
        "document.querySelector('#upload-bar').value === 100", timeout=30_000
    )
    assert (await page.inner_text("#upload-percent")).strip() == "100 %"
    kilobytes = f"{media['clip'].stat().st_size / 1000:.1f} kB"
    assert await page.inner_text("#upload-bytes") == f"{kilobytes} of {kilobytes}"
    status = page.locator("#upload-status")
    await status.wait_for(timeout=30_000)
    await page.wait_for_selector("#upload-status[data-status=ready]", timeout=90_000)
    slug = await status.get_attribute("data-video")
    assert slug
    assert page.url == f"{live_server.url}/upload/status/{slug}"
    assert "#alpine" in await status.inner_text()
    await page.wait_for_selector("#upload-status img.nv-upload-poster", timeout=30_000)
    await page.screenshot(path=str(ARTIFACTS / "upload-finished-phone.png"), full_page=True)

    await page.click(f"#upload-status a[href='/v/{slug}']")
    await page.wait_for_url(f"{live_server.url}/v/{slug}")
    video = page.locator("video.nv-card-video")
    await video.wait_for()
    await page.wait_for_function(
        "(() => { const v = document.querySelector('video.nv-card-video');"
        " return v.currentSrc !== '' && v.readyState > 0; })()",
        timeout=15_000,
    )
    assert "#alpine" in (await page.inner_text("main")).lower()
    await page.locator(f"a[href='/v/{slug}/download']").wait_for()
    await page.locator("form.nv-comment-form textarea[name=text]").wait_for()
    assert page.console_errors == []


async def test_pause_holds_the_offset_and_resume_finishes(
    live_server: Any, creator: str, media: dict[str, Path], desktop_page: Any
) -> None:
    page = desktop_page
    await open_upload_page(page, live_server.url)
    await throttle(page)
    total = media["noisy"].stat().st_size
    await page.set_input_files("#upload-file", str(media["noisy"]))
    await page.fill("#upload-caption", "Static #noise")
    await page.click("#upload-submit")
    await page.wait_for_function(
        "document.querySelector('#upload-bar').value >= 20", timeout=30_000
    )
    await page.click("#upload-pause")
    assert await page.inner_text("#upload-pause") == "Resume"
    assert "Paused" in await page.inner_text("#upload-message")
    # Let an aborted piece settle on the server, then the offset must stay put.
    await asyncio.sleep(1.0)
    held = await upload_info(page)
    assert held["status"] == "uploading"
    assert 0 < held["offset"] < total
    await asyncio.sleep(2.0)
    assert (await upload_info(page))["offset"] == held["offset"]
    bar_when_paused = await page.evaluate("document.querySelector('#upload-bar').value")

    await page.click("#upload-pause")
    assert await page.inner_text("#upload-pause") == "Pause"
    await page.wait_for_function(
        f"document.querySelector('#upload-bar').value > {bar_when_paused}", timeout=30_000
    )
    await page.wait_for_function(
        "document.querySelector('#upload-bar').value === 100", timeout=60_000
    )
    await page.wait_for_selector("#upload-status[data-video]", timeout=30_000)
    slug = await page.get_attribute("#upload-status", "data-video")
    assert slug
    # The upload that was paused is the one that finished: resumed, not started again.
    done = await upload_info(page, held["id"])
    assert (done["status"], done["offset"], done["video_id"]) == ("complete", total, slug)
    assert page.console_errors == []


async def test_an_upload_continues_after_a_reload_and_cancel_ends_it(
    live_server: Any, creator: str, media: dict[str, Path], desktop_page: Any
) -> None:
    page = desktop_page
    await open_upload_page(page, live_server.url)
    await throttle(page)
    await page.set_input_files("#upload-file", str(media["noisy"]))
    await page.fill("#upload-caption", "Second try #noise")
    await page.click("#upload-submit")
    await page.wait_for_function(
        "document.querySelector('#upload-bar').value >= 20", timeout=30_000
    )
    await page.click("#upload-pause")
    await asyncio.sleep(1.0)
    first = await upload_info(page)

    # The tab is reloaded; the same file with the same caption picks up where it was.
    await page.reload()
    await page.wait_for_function("!document.querySelector('#upload-submit').disabled")
    await throttle(page)
    await page.set_input_files("#upload-file", str(media["noisy"]))
    await page.fill("#upload-caption", "Second try #noise")
    await page.click("#upload-submit")
    assert "Continuing your earlier upload" in await page.inner_text("#upload-message")
    await page.wait_for_function("document.querySelector('#upload-bar').value > 0", timeout=30_000)
    assert await page.get_attribute("#nv-upload", "data-upload-id") == first["id"]
    assert await page.evaluate("document.querySelector('#upload-bar').value") >= 20

    await page.click("#upload-cancel")
    await page.wait_for_function(
        "document.querySelector('#upload-message').textContent.includes('cancelled')"
    )
    assert await page.inner_text("#upload-message") == "Upload cancelled; nothing was kept."
    assert await page.locator("#upload-progress").is_hidden()
    assert not await page.locator("#upload-submit").is_disabled()
    assert page.console_errors == []
    # The server dropped it: asking for it now is a 404.
    status = await page.evaluate(
        "id => fetch('/api/uploads/' + id).then(r => r.status)", first["id"]
    )
    assert status == 404


async def test_bad_files_are_refused_in_the_page_and_nothing_is_sent(
    live_server: Any, creator: str, media: dict[str, Path], phone_page: Any
) -> None:
    page = phone_page
    await open_upload_page(page, live_server.url)
    sent: list[str] = []
    page.on("request", lambda r: "/uploads/" in r.url and sent.append(f"{r.method} {r.url}"))
    message = page.locator("#upload-message")

    await page.click("#upload-submit")
    assert await message.inner_text() == "Choose a video file first."

    await page.set_input_files("#upload-file", str(media["text"]))
    assert "“notes.txt” is not a video" in await message.inner_text()
    await page.click("#upload-submit")
    assert "is not a video" in await message.inner_text()
    assert "nv-error" in (await message.get_attribute("class") or "")

    # A file over the server's limit (rendered into the page) is refused by size.
    await page.evaluate("document.querySelector('#nv-upload').dataset.maxBytes = 1000")
    await page.set_input_files("#upload-file", str(media["clip"]))
    assert "the largest upload is 1.0 kB" in await message.inner_text()
    await page.click("#upload-submit")
    assert "the largest upload is 1.0 kB" in await message.inner_text()

    await page.evaluate("document.querySelector('#nv-upload').dataset.maxBytes = 0")
    await page.fill("#upload-caption", "x" * 2201)
    assert "nv-over" in (await page.get_attribute("#upload-counter", "class") or "")
    await page.click("#upload-submit")
    assert "Captions are at most 2200 characters" in await message.inner_text()

    # A dropped file goes through the same checks.
    dropped = await page.evaluate_handle(
        "() => { const data = new DataTransfer();"
        " data.items.add(new File(['plain text'], 'dropped.txt', {type: 'text/plain'}));"
        " return data; }"
    )
    await page.dispatch_event(".nv-drop", "drop", {"dataTransfer": dropped})
    assert "“dropped.txt” is not a video" in await message.inner_text()
    assert "dropped.txt" in await page.inner_text("#upload-chosen")

    await asyncio.sleep(0.5)
    assert sent == []
    assert await page.locator("#upload-progress").is_hidden()
    assert await page.locator("#upload-status").count() == 0
    assert page.console_errors == []


async def test_without_javascript_the_page_says_what_is_needed(
    live_server: Any, creator: str, browser: Any
) -> None:
    context = await browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = await context.new_page()
    try:
        await page.goto(live_server.url + "/login?next=/upload")
        await page.fill("#username", CREATOR)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(live_server.url + "/upload")
        assert "Uploads need JavaScript" in await page.inner_text("main")
        assert await page.locator("#upload-submit").is_disabled()
        await page.screenshot(path=str(ARTIFACTS / "upload-without-javascript-phone.png"))
    finally:
        await context.close()


async def test_a_publishing_time_is_read_in_the_browsers_time_zone(
    live_server: Any, creator: str, media: dict[str, Path], browser: Any
) -> None:
    # Two days ahead at 18:30 in the browser's time; the browser itself says its offset
    # (no time zone database is needed on the machine running the tests).
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    typed = f"{day.isoformat()}T18:30"
    context = await browser.new_context(locale="en-US", timezone_id="Europe/Madrid")
    try:
        page = await context.new_page()
        await open_upload_page(page, live_server.url)
        await page.set_input_files("#upload-file", str(media["clip"]))
        await page.fill("#upload-caption", "Later on the ridge #alpine")
        await page.fill("#upload-publish-at", typed)
        offset = await page.evaluate("t => new Date(t).getTimezoneOffset()", typed)
        assert offset in (-60, -120)  # Madrid: UTC+1 in winter, UTC+2 in summer
        expected = datetime.fromisoformat(typed).replace(tzinfo=UTC) + timedelta(minutes=offset)
        await page.click("#upload-submit")
        await page.wait_for_selector("#upload-status[data-status=scheduled]", timeout=90_000)
        stored = await page.get_attribute("#upload-status [data-publish-at]", "data-publish-at")
        assert stored is not None
        assert datetime.fromisoformat(stored) == expected
        slug = await page.get_attribute("#upload-status", "data-video")
        # The edit form shows the stored time in the browser's time again.
        await page.goto(f"{live_server.url}/upload/edit/{slug}")
        await page.wait_for_function(
            "document.querySelector('input[name=utc_offset]').value !== ''"
        )
        assert await page.input_value("#edit-publish-at") == typed
        # Nobody else sees the video before its time.
        other = await browser.new_context()
        try:
            response = await (await other.new_page()).goto(f"{live_server.url}/v/{slug}")
            assert response is not None
            assert response.status == 404
        finally:
            await other.close()
    finally:
        await context.close()
