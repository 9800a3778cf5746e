"""Subscribers-only videos in the Following feed, hashtag pages and search: listed for
the subscribers who may watch them, with media signed for them, and for nobody else.

Cara's video "secret" needs her Patron tier. Bob subscribes to Patron, Ann to Fan only;
both follow Cara.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.media import gates, keys
from nichevid.social import services as social
from nichevid.testing.factories import ready_video
from nichevid_subscriptions import access

from .conftest import login, subscribed

SURFACES = ("/following", "/tag/yarn", "/tag/yarn/videos?cursor=999999999", "/search?q=knitting")


@pytest.fixture
async def secret(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> dict[str, Any]:
    """Cara's Patron-only video with its files stored, her public one, and followers."""
    cara = people["cara"]
    video = await ready_video(
        cara, caption="secret knitting #yarn", hashtags=["yarn"], visibility="subscribers"
    )
    await access.set_video_tier(video, two_tiers["patron"])
    await ready_video(cara, caption="open knitting #yarn", hashtags=["yarn"])
    files = {
        keys.rendition_key(video.slug, "360p"): b"\x00\x00\x00\x18ftypmp42" + b"0" * 100,
        keys.poster_key(video.slug): b"\xff\xd8\xff" + b"0" * 50,
        keys.webp_of(keys.poster_key(video.slug)): b"RIFF" + b"0" * 50,
    }
    for key, data in files.items():
        await nv_resources.storage.put_bytes(key, data)
    await subscribed(nv_resources, people["bob"], two_tiers["patron"])
    await subscribed(nv_resources, people["ann"], two_tiers["fan"])
    for member in (people["ann"], people["bob"]):
        await social.set_follow(member, cara, True)
    return {"video": video, "files": files}


async def test_subscribers_find_it_in_every_feed_with_media_signed_for_them(
    nv_client: Any, secret: dict[str, Any]
) -> None:
    slug = secret["video"].slug
    await login(nv_client, "bob")
    for path in SURFACES:
        answer = await nv_client.get(path, headers={"accept": "text/html"})
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "private, no-store", path
        if "cursor=" in path:
            continue  # past the last video: an empty page, still his alone
        assert f'href="/v/{slug}"' in answer.text, path
        urls = re.findall(rf'(/media/videos/{re.escape(slug)}/[^"\s]+)', answer.text)
        assert urls, path
        for url in urls:
            fetched = await nv_client.get(url.replace("&amp;", "&"))
            assert fetched.status_code == 200, (path, url)
            assert fetched.headers["cache-control"].startswith("private")
        # Without the signature, the same file is refused.
        assert (await nv_client.get(urls[0].split("?")[0])).status_code == 403


async def test_nobody_else_finds_it_nor_any_of_its_media(
    nv_client: Any, secret: dict[str, Any]
) -> None:
    slug = secret["video"].slug
    for who in (None, "ann"):
        if who:
            await login(nv_client, who)
        for path in (*SURFACES, "/"):
            if who is None and path == "/following":
                continue  # sign-in only
            answer = await nv_client.get(path, headers={"accept": "text/html"})
            assert f'href="/v/{slug}"' not in answer.text, (who, path)
            assert f"videos/{slug}/" not in answer.text, (who, path)
        # The profile names it, locked (the plugin's own listing), without its media.
        assert f"videos/{slug}/" not in (await nv_client.get("/u/cara")).text
        assert "open knitting" in (await nv_client.get("/search?q=knitting")).text


async def test_one_bulk_answer_for_a_page(
    nv_resources: Any, people: dict[str, Any], secret: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    video = secret["video"]
    other = await ready_video(people["cara"], visibility="subscribers")
    await access.set_video_tier(other, two_tiers["fan"])
    videos = [video, other]
    assert await gates.viewable_ids(nv_resources, videos, people["bob"]) == {video.id, other.id}
    assert await gates.viewable_ids(nv_resources, videos, people["ann"]) == {other.id}
    assert await gates.viewable_ids(nv_resources, videos, None) == set()


async def test_the_plugin_answers_a_page_at_once(
    nv_resources: Any, people: dict[str, Any], secret: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    from nichevid_subscriptions.access import may_watch_many

    video = secret["video"]
    fan_level = await ready_video(people["cara"], visibility="subscribers")
    followers = await ready_video(people["cara"], visibility="followers")
    videos = [video, fan_level, followers]
    bob, ann = people["bob"], people["ann"]
    assert await may_watch_many(videos, bob) == {video.id: True, fan_level.id: True}
    assert await may_watch_many(videos, ann) == {fan_level.id: True}
    assert await may_watch_many(videos, None) == {}
    # The same verdicts as one by one, the followers-only video answered by the core.
    assert await gates.viewable_ids(nv_resources, videos, ann) == {fan_level.id, followers.id}
