"""Captions in a real browser: the owner uploads a WebVTT file on the video's page, a viewer
presses CC and the track in the page's language shows while the video plays."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe

from .conftest import ARTIFACTS, log_in, upload_clip

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
CREATOR = "cc_maker"
# The cue covers almost all of the 3-second clip, so it is active whenever it plays.
ENGLISH = b"WEBVTT\n\n00:00.000 --> 00:02.900\nHello from the captions\n"
GERMAN = b"WEBVTT\n\n00:00.000 --> 00:02.900\nHallo aus den Untertiteln\n"
LATE = b"WEBVTT\n\n00:09.000 --> 00:10.000\nToo late\n"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-second vertical clip with sound."""
    path = tmp_path_factory.mktemp("captions-media") / "clip.mp4"
    command = [
        ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25:duration=3",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path.as_posix(),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def creator(live_server: Any) -> str:
    result = live_server.cli(
        "user", "create", CREATOR, "--role", "creator", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return CREATOR


SHOWING = """() => {
  const v = document.querySelector('video.nv-card-video');
  const shown = [...v.textTracks].filter((t) => t.mode === 'showing');
  const cues = shown.length === 1 && shown[0].activeCues;
  return !v.paused && v.currentTime > 0 && cues && cues.length > 0 ?
    {language: shown[0].language, text: cues[0].text, line: cues[0].line} : null;
}"""


async def test_owner_uploads_captions_and_a_viewer_turns_them_on(
    live_server: Any, creator: str, clip: Path, desktop_page: Any, request: pytest.FixtureRequest
) -> None:
    page, url = desktop_page, live_server.url
    csrf = await log_in(page, url, CREATOR, PASSWORD)
    slug = await upload_clip(page, url, csrf, clip, "Captioned clip")

    # The owner adds English on the video's page; German comes through the API.
    await page.goto(f"{url}/v/{slug}")
    panel = page.locator("#nv-captions")
    await panel.locator("input[name=file]").set_input_files(
        files=[{"name": "hello.en.vtt", "mimeType": "text/vtt", "buffer": ENGLISH}]
    )
    await panel.locator("input[name=language]").fill("en")
    await panel.get_by_role("button", name="Upload captions").click()
    await page.get_by_text("Captions in English added.").wait_for()
    german = await page.request.put(
        f"{url}/api/videos/{slug}/captions/de",
        data=GERMAN,
        headers={"x-csrftoken": csrf, "content-type": "text/vtt"},
    )
    assert german.status == 201, await german.text()

    # A bad file is refused in place, and the English track stays as it was.
    await panel.locator("input[name=file]").set_input_files(
        files=[{"name": "late.vtt", "mimeType": "text/vtt", "buffer": LATE}]
    )
    await panel.locator("input[name=language]").fill("en")
    await panel.get_by_role("button", name="Upload captions").click()
    await panel.get_by_role("alert").get_by_text("after the video ends").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-panel.png"))

    # Signed out, as any viewer: the tracks are there, captions are off.
    await page.context.clear_cookies()
    await page.goto(f"{url}/v/{slug}")
    video = page.locator("video.nv-card-video")
    assert await video.locator("track").evaluate_all(
        "ts => ts.map(t => [t.kind, t.srclang, t.label])"
    ) == [["subtitles", "de", "Deutsch"], ["subtitles", "en", "English"]]
    assert await video.evaluate("v => [...v.textTracks].map(t => t.mode)") == [
        "disabled",
        "disabled",
    ]
    button = page.get_by_role("button", name="Captions (CC)")
    assert await button.get_attribute("aria-pressed") == "false"

    await button.click()
    assert await button.get_attribute("aria-pressed") == "true"
    # The page is English, so the English track shows (not the first, German), and a cue
    # becomes active as the video plays, lifted above the caption overlay.
    shown = await page.wait_for_function(SHOWING, timeout=20_000)
    assert await shown.json_value() == {
        "language": "en",
        "text": "Hello from the captions",
        "line": -5,
    }
    assert await page.evaluate("sessionStorage.getItem('nv-cc')") == "on"
    await page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-showing.png"))

    # Remembered for the session: the next page load shows them at once.
    await page.reload()
    await page.wait_for_function(SHOWING, timeout=20_000)
    assert (
        await page.get_by_role("button", name="Captions (CC)").get_attribute("aria-pressed")
        == "true"
    )

    # Off again: the track is hidden, not removed.
    await page.get_by_role("button", name="Captions (CC)").click()
    assert await video.evaluate("v => [...v.textTracks].map(t => t.mode)") == [
        "disabled",
        "hidden",
    ]
    assert await page.evaluate("sessionStorage.getItem('nv-cc')") == "off"
    assert page.console_errors == []
