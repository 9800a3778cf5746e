"""The feed installs as an app: its service worker shows the offline page without a connection."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e


async def test_a_page_opened_offline_shows_the_offline_page(live_server: Any, browser: Any) -> None:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        await page.goto(live_server.url + "/")
        # The worker is installed, has kept the offline page and controls the page.
        await page.evaluate("navigator.serviceWorker.ready")
        await page.wait_for_function("navigator.serviceWorker.controller !== null")
        manifest = await page.evaluate(
            "fetch('/manifest.webmanifest').then(r => r.json()).then(m => m.display)"
        )
        assert manifest == "standalone"
        await context.set_offline(True)
        await page.goto(live_server.url + "/search?q=anything")
        assert await page.locator("h1").inner_text() == "You are offline"
        # The kept styles still apply offline.
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(11, 11, 15)"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "installable-offline-phone.png"))
        await context.set_offline(False)
        await page.goto(live_server.url + "/search?q=anything")
        assert await page.locator("h1").inner_text() != "You are offline"
    finally:
        await context.close()
