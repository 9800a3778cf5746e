"""Privacy in a real browser: a member exports their data and downloads the zip, then
deletes their account; after the grace period (the purge run with a later clock) the
account, its videos and files are gone."""

from __future__ import annotations

import json
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe

from .conftest import db_rows, log_in, shot, upload_clip

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
MEMBER = "leaving_lea"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second vertical clip."""
    path = tmp_path_factory.mktemp("privacy-media") / "clip.mp4"
    command = [
        ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25:duration=2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", path.as_posix(),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return path


async def test_a_member_exports_their_data_then_deletes_their_account(
    live_server: Any,
    desktop_page: Any,
    clip: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    created = live_server.cli(
        "user", "create", MEMBER, "--role", "creator", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert created.returncode == 0, created.stdout + created.stderr
    page, url = desktop_page, live_server.url
    csrf = await log_in(page, url, MEMBER, PASSWORD)
    slug = await upload_clip(page, url, csrf, clip, "Goodbye clip")

    # Export: ask, the panel polls until the link appears, the zip downloads.
    await page.goto(url + "/settings/profile")
    await page.click("a[href='/settings/privacy']")
    await page.wait_for_url(url + "/settings/privacy")
    await page.get_by_role("button", name="Ask for an export").click()
    await page.get_by_text("Your export is being prepared").first.wait_for()
    link = page.locator("#export-download")
    await link.wait_for(timeout=60_000)
    await shot(page, request, "export-ready")
    async with page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    saved = tmp_path / "export.zip"
    await download.save_as(saved)
    names = set(zipfile.ZipFile(saved).namelist())
    for name in (
        "profile.json",
        "videos.json",
        f"videos/{slug}.mp4",
        "captions.json",
        "comments.json",
        "likes.json",
        "follows.json",
        "bookmarks.json",
        "shares.json",
        "notifications.json",
        "watch_history.json",
        "manifest.json",
    ):
        assert name in names, f"{name} missing from {sorted(names)}"
    profile = json.loads(zipfile.ZipFile(saved).read("profile.json"))
    assert profile["username"] == MEMBER

    # Deletion: a wrong password is refused, the right one marks the account.
    await page.fill("#delete-password", "not my password")
    await page.get_by_role("button", name="Delete my account").click()
    await page.get_by_text("That password is not right.").wait_for()
    await page.fill("#delete-password", PASSWORD)
    await page.get_by_role("button", name="Delete my account").click()
    await page.get_by_text("Your account will be deleted on").wait_for()
    await page.get_by_role("button", name="Cancel deletion").wait_for()
    await shot(page, request, "marked")
    users = await db_rows(live_server, "SELECT id FROM nv_user WHERE username = ?", MEMBER)
    assert len(users) == 1
    user_id = users[0]["id"]

    # After the grace period the purge erases everything.
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    purged = live_server.cli("privacy", "purge-due", "--as-of", later)
    assert purged.returncode == 0, purged.stdout + purged.stderr
    assert "1 account(s) erased" in purged.stdout
    assert await db_rows(live_server, "SELECT id FROM nv_user WHERE username = ?", MEMBER) == []
    assert await db_rows(live_server, "SELECT id FROM nv_video WHERE owner = ?", user_id) == []
    media = live_server.data_dir / "media"
    if media.is_dir():
        assert not [
            p for p in media.rglob("*") if slug in str(p) or f"exports/{user_id}/" in str(p)
        ]
    await page.goto(url + "/settings/privacy")
    await page.wait_for_url(lambda u: "/login" in u)
    await page.fill("#username", MEMBER)
    await page.fill("#password", PASSWORD)
    await page.click("form button[type=submit]")
    await page.get_by_role("alert").wait_for()
    assert (await page.request.get(f"{url}/api/videos/{slug}")).status == 404
