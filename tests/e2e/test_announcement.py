"""The operators' announcement in a real browser: shown, closed, and shown again when new."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, log_in, shot

pytestmark = pytest.mark.e2e

ADMIN = "notice_board"


async def test_an_announcement_shows_until_closed(
    live_server: Any, browser: Any, phone_page: Any, request: pytest.FixtureRequest
) -> None:
    made = live_server.cli(
        "user", "create", ADMIN, "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stdout + made.stderr
    url = live_server.url
    admin = await browser.new_context()
    page = await admin.new_page()
    try:
        await log_in(page, url, ADMIN, PASSWORD)
        await page.goto(url + "/admin/announcement")
        await page.fill("#nv-announcement-text", "Meetup on Saturday at the crag")
        await page.fill("#nv-announcement-link", "/search")
        await page.click("form.nv-form button[type=submit]")
        await page.get_by_text("The announcement shows on every page now.").wait_for()

        visitor = phone_page
        await visitor.goto(url + "/search")
        banner = visitor.locator("#nv-announcement")
        await banner.wait_for()
        assert "Meetup on Saturday" in await banner.inner_text()
        await shot(visitor, request, "shown")
        await visitor.get_by_role("button", name="Close the announcement").click()
        await banner.wait_for(state="hidden")
        await visitor.reload()
        await visitor.locator("#nv-search-q").wait_for()
        assert not await banner.is_visible()

        # A new announcement shows again on the same browser.
        await page.fill("#nv-announcement-text", "Meetup moved to Sunday")
        await page.click("form.nv-form button[type=submit]")
        await page.get_by_text("The announcement shows on every page now.").wait_for()
        await visitor.reload()
        await banner.wait_for()
        assert "Sunday" in await banner.inner_text()
        assert visitor.console_errors == []
    finally:
        await page.goto(url + "/admin/announcement")
        if await page.locator("#nv-announcement-remove").count():
            await page.click("#nv-announcement-remove button")
            await page.get_by_text("No announcement shows now.").wait_for()
        await admin.close()
