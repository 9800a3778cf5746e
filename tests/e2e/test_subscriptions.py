"""Subscriptions in a real browser: a creator makes a tier and a subscribers-only video;
a member cannot watch it, subscribes with the test provider, watches it, and carries
the tier's badge on a comment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import instance_with_people, make_clip, people_pages, shot

pytestmark = pytest.mark.e2e

PEOPLE = {"knitter": "creator", "fan": "member"}


@pytest.fixture(scope="module")
def subs_server(
    nv_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """An instance of its own with the subscriptions plugin, and its two people."""
    with instance_with_people(
        nv_services,
        tmp_path_factory.mktemp("e2e-subscriptions-data"),
        "e2e_subscriptions",
        7,
        PEOPLE,
        NICHEVID_LOAD_PLUGINS="subscriptions",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second 360x640 clip."""
    return make_clip(tmp_path_factory.mktemp("subscriptions-media"))


@pytest.fixture
async def person(browser: Any, subs_server: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await person("fan")``: a page of that person's own, signed in."""
    async with people_pages(browser, subs_server.url) as make:
        yield make


async def _upload(page: Any, url: str, clip: Path, caption: str, visibility: str) -> str:
    await page.goto(url + "/upload")
    await page.wait_for_function("!document.querySelector('#upload-submit').disabled")
    await page.set_input_files("#upload-file", str(clip))
    await page.fill("#upload-caption", caption)
    await page.select_option("#upload-visibility", visibility)
    await page.click("#upload-submit")
    await page.wait_for_selector("#upload-status[data-status=ready]", timeout=90_000)
    slug = await page.get_attribute("#upload-status", "data-video")
    assert slug
    return str(slug)


async def test_subscribe_to_watch_and_wear_the_badge(
    subs_server: Any, person: Any, clip: Path, request: pytest.FixtureRequest
) -> None:
    url = subs_server.url
    maker = await person("knitter")
    # The creator offers a tier...
    await maker.goto(url + "/subscriptions/tiers")
    await maker.fill("#nv-tier-name", "Yarn club")
    await maker.fill("#nv-tier-price", "-3")
    await maker.get_by_role("button", name="Offer this tier").click()
    await maker.get_by_text("The amount must be more than zero.").wait_for()
    await maker.fill("#nv-tier-price", "3.50")
    await maker.fill("#nv-tier-badge", "Yarn club")
    await maker.fill("#nv-tier-perks", "Patterns every week")
    await maker.get_by_role("button", name="Offer this tier").click()
    await maker.get_by_text("Level 1 · 3.50 EUR a month").wait_for()
    # ...and posts a subscribers-only video and a public one.
    secret = await _upload(maker, url, clip, "Members-only pattern", "subscribers")
    open_slug = await _upload(maker, url, clip, "Free pattern", "public")

    fan = await person("fan")
    locked = await fan.goto(f"{url}/v/{secret}")
    assert locked is not None
    assert locked.status == 403
    await fan.get_by_text("This video is locked").wait_for()
    assert await fan.locator("video").count() == 0
    await shot(fan, request, "locked")
    await fan.get_by_role("link", name="Subscribe to watch").click()
    await fan.get_by_text("Patterns every week").wait_for()
    await fan.get_by_role("button", name="Subscribe with test payments: no money moves").click()
    await fan.get_by_text("Test payments: no money moves").first.wait_for()
    await fan.get_by_text("You subscribe for 3.50 EUR a month, until you cancel.").wait_for()
    await fan.get_by_role("button", name="Confirm test payment").click()
    await fan.wait_for_url(url + "/subscriptions/mine")
    await fan.locator(".nv-sub-row[data-status=active]").wait_for()

    # Now the video plays for the subscriber, from a signed link.
    watched = await fan.goto(f"{url}/v/{secret}")
    assert watched is not None
    assert watched.status == 200
    video = fan.locator("video").first
    await video.wait_for(state="attached")
    await fan.wait_for_function(
        "document.querySelector('video') && document.querySelector('video').readyState >= 1",
        timeout=30_000,
    )
    source = await fan.evaluate("document.querySelector('video').currentSrc")
    assert "sig=" in source
    await shot(fan, request, "watching")

    # The fan's comment on the creator's videos carries the tier's badge.
    await fan.goto(f"{url}/v/{open_slug}/comments")
    await fan.locator("form.nv-comment-form textarea[name=text]").fill("Love these patterns!")
    await fan.locator("form.nv-comment-form button[type=submit]").click()
    comment = fan.locator(".nv-comment", has_text="Love these patterns!")
    await comment.locator(".nv-sub-badge", has_text="Yarn club").wait_for()
    await shot(fan, request, "badge")
