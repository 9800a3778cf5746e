"""Gifts in real browsers: a fan buys coins with the test provider, sends a gift from a
feed card and sees its animation (still under reduced motion), and the creator sees the
earning on their coins page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import DESKTOP, PHONE, instance_with_people, make_clip, people_pages, shot

pytestmark = pytest.mark.e2e

PEOPLE = {"gift_maker": "creator", "gift_fan": "member"}


@pytest.fixture(scope="module")
def gifts_server(
    nv_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """An instance of its own with the gifts plugin, its two people, and a For You rebuilt
    every half second, so a new upload reaches the feed while the test waits."""
    with instance_with_people(
        nv_services,
        tmp_path_factory.mktemp("e2e-gifts-data"),
        "e2e_gifts",
        7,
        PEOPLE,
        NICHEVID_LOAD_PLUGINS="gifts",
        NICHEVID_PLUGIN__FEED__FORYOU_REFRESH_SECONDS="0.5",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second 360x640 clip with sound."""
    return make_clip(tmp_path_factory.mktemp("gifts-media"), sound=True)


@pytest.fixture
async def person(browser: Any, gifts_server: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await person("gift_fan", PHONE, reduced=True, then="/gifts")``: a signed-in page of
    their own, on ``then``."""
    async with people_pages(browser, gifts_server.url) as make:
        yield make


ANIMATION = "el => getComputedStyle(el).animationName"


async def test_buy_coins_send_a_gift_from_the_feed_and_the_creator_earns(
    gifts_server: Any, person: Any, clip: Path, request: pytest.FixtureRequest
) -> None:
    url = gifts_server.url
    # The creator posts through the API before anyone opens the feed, so the first For You
    # order of the instance holds the video.
    token = gifts_server.cli("user", "token", "gift_maker", "--name", "e2e").stdout.split()[-1]
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as api:
        created = await api.post(
            "/api/videos/",
            params={"caption": "Ridge walk at dawn", "filename": "clip.mp4"},
            content=clip.read_bytes(),
        )
        assert created.status_code == 201, created.text
        slug = str(created.json()["id"])
        for _ in range(240):
            document = (await api.get(f"/api/videos/{slug}")).json()
            if document["status"] == "ready" and document["renditions"]:
                break
            assert document["status"] != "failed", document
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"video {slug} was not ready in time")

    # The fan buys the smallest coin pack through the test provider.
    fan = await person("gift_fan", PHONE, then="/gifts")
    await fan.get_by_text("Test payments: no money moves").first.wait_for()
    await fan.get_by_label("100 coins for 0.99 EUR").check()
    await fan.get_by_role("button", name="Buy coins").click()
    await fan.get_by_role("button", name="Confirm test payment").click()
    await fan.goto(url + "/gifts")
    await fan.locator(".nv-gift-balance[data-coins='100']").wait_for()

    # The fan opens the feed for the first time and finds the video; the gift button on
    # its card opens the picker.
    card = fan.locator(f"#v-{slug}")
    for _ in range(40):
        await fan.goto(url + "/")
        if await card.count():
            break
        await asyncio.sleep(0.5)
    assert await card.count() == 1, "the new video never reached For You"
    await card.scroll_into_view_if_needed()
    await card.locator(".nv-action--gift").click()
    sheet = fan.locator("#nv-gift-sheet")
    await sheet.get_by_role("heading", name="Send a gift").wait_for()
    await sheet.locator("label.nv-gift-item", has_text="Heart").click()
    await sheet.get_by_label("How many").fill("2")
    await sheet.get_by_role("button", name="Send", exact=True).click()
    await sheet.get_by_text("You sent 2 × Heart to @gift_maker.").wait_for()
    burst = sheet.locator(".nv-gift-burst img").first
    assert await burst.evaluate(ANIMATION) == "nv-gift-pop"
    await shot(fan, request, "gift-sent")
    await sheet.locator(".nv-gift-balance[data-coins='90']").wait_for()

    # Too few coins: the picker says so and links to the coin packs.
    await sheet.get_by_role("link", name="Send another gift").click()
    await sheet.locator("label.nv-gift-item", has_text="Crown").click()
    await sheet.get_by_role("button", name="Send", exact=True).click()
    await sheet.get_by_text("You have too few coins for this").wait_for()
    assert await sheet.get_by_role("link", name="Buy coins").count() >= 1

    # With reduced motion the gift shows without moving.
    calm = await person("gift_fan", DESKTOP, reduced=True, then="/gifts")
    await calm.goto(f"{url}/gifts/to/v/{slug}")
    await calm.locator("label.nv-gift-item", has_text="Rose").click()
    await calm.get_by_role("button", name="Send", exact=True).click()
    await calm.get_by_text("You sent 1 × Rose to @gift_maker.").wait_for()
    assert await calm.locator(".nv-gift-burst img").first.evaluate(ANIMATION) == "none"

    # The creator sees what the gifts earned: 11 coins less the 20 % cut (rounded down
    # per gift: 10 - 2 and 1 - 0).
    maker = await person("gift_maker", then="/wallet")
    await maker.get_by_role("link", name="Buy coins, see the gifts you sent and received").click()
    await maker.locator(".nv-gift-earned[data-earned='9']").wait_for()
    await maker.get_by_text("2 × Heart").wait_for()
    await shot(maker, request, "creator-earned")
