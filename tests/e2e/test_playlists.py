"""A creator's playlist in a real browser: found on the profile, played from the start,
each card saying which part it is and leading to the next."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.conftest import shot, slug_of
from tests.e2e.test_accessibility import axe_violations, describe

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_videos(live_server: Any) -> Any:
    """The live server with the demo videos (the command is idempotent)."""
    result = live_server.cli("demo", "--seconds", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return live_server


async def test_a_playlist_plays_part_after_part(
    demo_videos: Any, phone_page: Any, request: pytest.FixtureRequest
) -> None:
    page, url = phone_page, demo_videos.url
    made = demo_videos.cli("user", "token", "demo_alice")
    assert made.returncode == 0, made.stderr
    auth = {"Authorization": f"Bearer {made.stdout.strip()}", "content-type": "application/json"}
    first, second = await slug_of(page, url, "calibrating"), await slug_of(page, url, "golden")
    response = await page.request.post(
        f"{url}/api/playlists", data=json.dumps({"title": "Studio diaries"}), headers=auth
    )
    assert response.status == 201, await response.text()
    playlist = response.headers["location"]
    try:
        for slug in (first, second):
            added = await page.request.put(f"{url}{playlist}/videos/{slug}", headers=auth)
            assert added.ok, await added.text()

        await page.goto(f"{url}/u/demo_alice")
        await page.get_by_role("link", name=re.compile("Studio diaries")).click()
        await page.get_by_role("heading", name="Studio diaries").wait_for()
        await shot(page, request, "playlist")
        serious = [v for v in await axe_violations(page) if v["impact"] in ("serious", "critical")]
        assert not serious, describe(serious)
        await page.get_by_role("link", name="Play from the start").click()
        await page.wait_for_url(f"{url}/v/{first}")
        chip = page.locator(".nv-card-playlist")
        assert "Part 1 of 2" in await chip.inner_text()
        await shot(page, request, "part-1")
        await page.get_by_role("link", name="Next in “Studio diaries”").click()
        await page.wait_for_url(f"{url}/v/{second}")
        assert "Part 2 of 2" in await page.locator(".nv-card-playlist").inner_text()
        assert await page.get_by_role("link", name=re.compile("Next in")).count() == 0
        # The chip leads back to the playlist.
        await page.locator(".nv-card-playlist").click()
        await page.get_by_role("heading", name="Studio diaries").wait_for()
        assert page.console_errors == []
    finally:
        gone = await page.request.delete(f"{url}{playlist}", headers=auth)
        assert gone.status == 204
