"""Ads in real browsers: an admin books a takeover and an in-feed campaign on the form; a
visitor gets the takeover first, skips it, then meets the promoted card after a few videos,
and both views are counted once they stayed on screen."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import DESKTOP, PHONE, db_rows, instance_with_people, make_clip, people_pages, shot
from .test_accessibility import axe_violations, describe

pytestmark = pytest.mark.e2e

PEOPLE = {"ad_brand": "creator", "ad_admin": "admin"}
CARDS = ".nv-card[data-nv-slug]"


@pytest.fixture(scope="module")
def ads_server(
    nv_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """An instance of its own with the ads plugin: an ad after every three videos, counted
    after one second on screen, a takeover skippable after one second."""
    with instance_with_people(
        nv_services,
        tmp_path_factory.mktemp("e2e-ads-data"),
        "e2e_ads",
        8,
        PEOPLE,
        NICHEVID_LOAD_PLUGINS="ads",
        NICHEVID_PLUGIN__FEED__FORYOU_REFRESH_SECONDS="0.5",
        NICHEVID_PLUGIN__ADS__EVERY="3",
        NICHEVID_PLUGIN__ADS__VIEW_SECONDS="1",
        NICHEVID_PLUGIN__ADS__TAKEOVER_SECONDS="1",
    ) as server:
        yield server


async def _post_clips(server: Any, clip: Path, count: int) -> list[str]:
    token = server.cli("user", "token", "ad_brand", "--name", "e2e").stdout.split()[-1]
    slugs = []
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as api:
        for n in range(count):
            created = await api.post(
                "/api/videos/",
                params={"caption": f"Rope test {n}", "filename": "clip.mp4"},
                content=clip.read_bytes(),
            )
            assert created.status_code == 201, created.text
            slugs.append(str(created.json()["id"]))
        for slug in slugs:
            for _ in range(240):
                document = (await api.get(f"/api/videos/{slug}")).json()
                if document["status"] == "ready" and document["renditions"]:
                    break
                assert document["status"] != "failed", document
                await asyncio.sleep(0.5)
            else:
                raise AssertionError(f"video {slug} was not ready in time")
    return slugs


async def _book(page: Any, url: str, slug: str, kind: str, name: str) -> None:
    """Fill the booking form of /admin/ads as an operator does."""
    await page.goto(f"{url}/admin/ads")
    form = page.locator("form[action='/admin/ads']")
    await form.locator("input[name=name]").fill(name)
    await form.locator("input[name=advertiser]").fill("Rope & Co")
    await form.locator(f"input[name=kind][value={kind}]").check()
    await form.locator("input[name=video]").fill(slug)
    await form.locator("input[name=cta_label]").fill("Shop ropes")
    await form.locator("input[name=cta_url]").fill("https://ropes.example/spring")
    await form.locator("input[name=budget]").fill("50")
    await form.locator("input[name=cpm]").fill("4.50")
    await form.locator("button").click()
    await page.wait_for_url(f"{url}/admin/ads/*?done=created")
    assert await page.locator("h1").inner_text() == name


async def _no_serious_violations(page: Any) -> None:
    violations = await axe_violations(page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"axe-core on {page.url}:\n{describe(serious)}"


async def _views(server: Any) -> list[dict[str, Any]]:
    return await db_rows(
        server,
        "SELECT c.kind AS kind, v.clicked AS clicked FROM nv_ad_view v "
        "JOIN nv_ad_campaign c ON c.id = v.campaign ORDER BY v.id",
    )


async def _wait_views(server: Any, count: int) -> list[dict[str, Any]]:
    for _ in range(100):
        rows = await _views(server)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} ad views were not counted: {await _views(server)}")


async def test_takeover_then_a_promoted_card_after_three_videos(
    ads_server: Any, browser: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = ads_server.url
    slugs = await _post_clips(ads_server, make_clip(tmp_path), 4)
    async with people_pages(browser, url) as person:
        admin = await person("ad_admin", DESKTOP, then="/admin")
        await admin.click("a[href='/admin/ads']")
        await _book(admin, url, slugs[0], "in_feed", "Spring ropes")
        await _book(admin, url, slugs[1], "takeover", "Rope day")
        await shot(admin, request, "admin")
        await _no_serious_violations(admin)
        await admin.goto(url + "/challenges")
        await _no_serious_violations(admin)

    context = await browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        await page.goto(url + "/")
        # The takeover opens before the feed, waits a second, then lets the visitor go on.
        dialog = page.locator("dialog.nv-takeover[open]")
        await dialog.wait_for()
        skip = dialog.locator(".nv-takeover-skip")
        assert await skip.is_disabled()
        assert "Sponsored" in (await dialog.text_content() or "")
        await shot(page, request, "takeover")
        await _no_serious_violations(page)
        await page.wait_for_function(
            "!document.querySelector('.nv-takeover-skip').disabled", timeout=5000
        )
        assert await skip.inner_text() == "Skip ad"
        assert await page.evaluate("document.activeElement.classList.contains('nv-takeover-skip')")
        await skip.click()
        assert await page.locator("dialog.nv-takeover").count() == 0
        assert await _wait_views(ads_server, 1) == [{"kind": "takeover", "clicked": False}]

        # Three videos in, the promoted card is put one card ahead.
        for _ in range(3):
            await page.keyboard.press("j")
            await asyncio.sleep(0.4)
        ad = page.locator(".nv-card[data-nv-ad]")
        await ad.wait_for(state="attached", timeout=10000)
        assert "Sponsored" in (await ad.text_content() or "")
        assert await ad.locator("a.nv-ad-cta").get_attribute("rel") == "sponsored noopener"
        await ad.scroll_into_view_if_needed()
        await page.wait_for_function(
            "(() => { const v = document.querySelector('.nv-card[data-nv-ad] video');"
            " return v && !v.paused && v.currentTime > 0.2; })()",
            timeout=10000,
        )
        await shot(page, request, "promoted")
        await _no_serious_violations(page)
        rows = await _wait_views(ads_server, 2)
        assert [r["kind"] for r in rows] == ["takeover", "in_feed"]
        token = await ad.get_attribute("data-nv-ad")
        assert token is not None
        clicked = await page.request.get(f"{url}/ads/click/{token}", max_redirects=0)
        assert clicked.status == 303
        assert clicked.headers["location"] == "https://ropes.example/spring"
        assert [bool(r["clicked"]) for r in await _views(ads_server)] == [False, True]
        # A second visit the same day gets no takeover.
        await page.goto(url + "/")
        await page.locator(CARDS).first.wait_for()
        await asyncio.sleep(1)
        assert await page.locator("dialog.nv-takeover").count() == 0
        assert errors == []
    finally:
        await context.close()
    assert len(await _views(ads_server)) == 2
