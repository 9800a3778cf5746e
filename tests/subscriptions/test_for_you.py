"""Subscribers-only videos in For You: a subscriber's personal batches carry them, with
media signed for the subscriber; nobody else's do.

Cara offers Fan and Patron; eight other creators post one open video each.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.plugins import hookimpl
from nichevid.testing import client_for
from nichevid.testing.factories import ready_video
from nichevid_subscriptions import access
from tests.recommend.conftest import cursor_of, slugs

from .conftest import login, subscribed

SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "http://127.0.0.1:8000"}


@pytest.fixture
async def feed(
    nv_resources: Any, make_user: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> dict[str, Any]:
    """Cara's Patron-only video, her Fan-only one, and eight open videos of others."""
    for n in range(8):
        owner = await make_user(f"open{n}", role="creator")
        await ready_video(owner, caption=f"open {n} #climb", hashtags=["climb"])
    fans = await ready_video(people["cara"], caption="for fans", visibility="subscribers")
    patrons = await ready_video(people["cara"], caption="for patrons", visibility="subscribers")
    await access.set_video_tier(patrons, two_tiers["patron"])
    return {"fans": fans, "patrons": patrons}


def _reasons(html: str) -> dict[str, str]:
    found = re.findall(r'id="v-([^"]+)".*?data-nv-reason="([^"]*)"', html, re.S)
    return dict(found)


async def _batches(client: Any, count: int, page: str = "") -> tuple[list[str], str]:
    """The slugs of ``count`` batches, from ``page`` on (default: the home page), in
    order, and their HTML."""
    page = page or (await client.get("/")).text
    shown = list(slugs(page))
    pages = [page]
    for _ in range(count - 1):
        cursor = cursor_of(page)
        if cursor is None:
            break
        page = (await client.get(f"/feed/next?cursor={cursor}")).text
        shown += slugs(page)
        pages.append(page)
    return shown, "".join(pages)


async def test_a_subscriber_finds_their_tier_in_for_you_and_nobody_else_does(
    nv_plugins: list[Any],
    nv_settings: Any,
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    feed: dict[str, Any],
) -> None:
    fans, patrons = feed["fans"], feed["patrons"]
    await subscribed(nv_resources, people["ann"], two_tiers["fan"])
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        await login(client, "ann")
        home = (await client.get("/")).text
        # Fan-level Ann gets the Fan video in her first batch, at its second card, once.
        assert slugs(home)[1] == fans.slug
        assert len(slugs(home)) == 5
        assert _reasons(home)[fans.slug] == "subscribed"
        card = home.split(f'id="v-{fans.slug}"')[1].split("</article>")[0]
        assert "exp=" in card
        assert "sig=" in card
        why = await client.get(f"/feed/why/{fans.slug}")
        assert why.status_code == 200
        assert "You subscribe to @cara." in why.text
        shown, _ = await _batches(client, 3, home)
        assert shown.count(fans.slug) == 1
        assert patrons.slug not in shown
    # Bob subscribes to nothing: neither video, and no reason to ask about them.
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        await login(client, "bob")
        shown, _ = await _batches(client, 3)
        assert fans.slug not in shown
        assert patrons.slug not in shown
        assert (await client.get(f"/feed/why/{fans.slug}")).status_code == 404
    # A visitor neither.
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        shown, _ = await _batches(client, 3)
        assert fans.slug not in shown


async def test_a_hidden_subscribed_video_stays_out(
    nv_plugins: list[Any],
    nv_settings: Any,
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    feed: dict[str, Any],
) -> None:
    fans = feed["fans"]
    await subscribed(nv_resources, people["ann"], two_tiers["patron"])
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        await login(client, "ann")
        hidden = await client.post(
            "/feed/not-interested",
            data={"kind": "video", "video": fans.slug},
            headers={**SAME_ORIGIN, "x-csrftoken": client.cookies.get("nv_csrf", "")},
        )
        assert hidden.status_code == 200, hidden.text
        shown, _ = await _batches(client, 3)
        assert fans.slug not in shown
        # Patron-level Ann still gets the Patron video.
        assert feed["patrons"].slug in shown


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    per_batch = getattr(request, "param", 1)
    return nv_settings_factory(
        plugin={
            "payments": {"currencies": ["EUR", "USD"], "platform_cut_percent": 20},
            "subscriptions": {"grace_days": 2, "renewal_leeway_hours": 1},
            "recommend": {"subscribed_per_batch": per_batch},
        }
    )


@pytest.mark.parametrize("nv_settings", [0], indirect=True)
async def test_none_join_when_the_operator_turns_it_off(
    nv_plugins: list[Any],
    nv_settings: Any,
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    feed: dict[str, Any],
) -> None:
    await subscribed(nv_resources, people["ann"], two_tiers["patron"])
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        await login(client, "ann")
        shown, _ = await _batches(client, 3)
        assert feed["fans"].slug not in shown
        assert feed["patrons"].slug not in shown


async def test_hook_subscribed_videos(
    nv_plugins: list[Any], nv_settings: Any, people: dict[str, Any], feed: dict[str, Any]
) -> None:
    """A plugin of its own names a gated video: it joins only when may_view admits it."""
    gated = await ready_video(people["bob"], caption="bob's circle", visibility="followers")
    asked: list[tuple[int, int]] = []

    class Circles:
        @hookimpl
        async def subscribed_videos(self, viewer: Any, limit: int, resources: Any) -> list[int]:
            assert resources.settings is not None
            asked.append((int(viewer.id), limit))
            return [gated.id]

    class Garbage:
        @hookimpl
        def subscribed_videos(self, viewer: Any) -> Any:
            return ["not an id", None, -3, {"id": 1}]

    class Broken:
        @hookimpl
        def subscribed_videos(self, viewer: Any) -> Any:
            return "nothing"

    nv_plugins.extend([Circles(), Garbage(), Broken()])
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        await login(client, "ann")
        # Ann does not follow Bob: may_view refuses, the video stays out.
        shown, _ = await _batches(client, 2)
        assert gated.slug not in shown
        assert asked
        assert asked[0][0] == people["ann"].id
        csrf = {**SAME_ORIGIN, "x-csrftoken": client.cookies.get("nv_csrf", "")}
        followed = await client.put("/social/users/bob/follow", headers=csrf)
        assert followed.status_code == 200, followed.text
        page = (await client.get("/feed/next?cursor=r9")).text
        assert gated.slug in slugs(page)
        assert _reasons(page)[gated.slug] == "subscribed"


def test_a_negative_subscribed_per_batch_stops_start_up(
    nv_settings_factory: Callable[..., Any],
) -> None:
    from nichevid.recommend.settings import recommend_settings

    settings = nv_settings_factory(plugin={"recommend": {"subscribed_per_batch": -1}})
    with pytest.raises(Exception, match="subscribed_per_batch"):
        recommend_settings(settings)
