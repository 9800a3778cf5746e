"""Subscribers-only videos: who may watch, on every surface, and above all their media URLs.

Cara's video "secret" needs her Patron tier (level 2). Bob subscribes to Patron, Ann to
Fan (level 1) only; a signed-out visitor and a former subscriber whose cancelled
period ended see nothing of it, by any URL.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest

from nichevid.core.secrets import instance_secret
from nichevid.media import keys
from nichevid.media import services as media
from nichevid.media.signing import signed_query
from nichevid.social import services as social
from nichevid.social.notifications import notify_mentions
from nichevid.social.tables import Notification
from nichevid.testing.factories import ready_video
from nichevid_subscriptions import access, services
from nichevid_subscriptions.tables import Subscription
from tests.media.conftest import assert_plays_with_signed_media

from .conftest import login, subscribed

PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n"


@pytest.fixture
async def secret(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> dict[str, Any]:
    """Cara's Patron-only video with its files stored, her public one, and subscribers."""
    cara = people["cara"]
    video = await ready_video(
        cara,
        caption="secret knitting #yarn @ann",
        hashtags=["yarn"],
        mentions=["ann"],
        visibility="subscribers",
    )
    await access.set_video_tier(video, two_tiers["patron"])
    await ready_video(cara, caption="open knitting #yarn", hashtags=["yarn"])
    slug = video.slug
    storage = nv_resources.storage
    files = {
        keys.rendition_key(slug, "360p"): b"\x00\x00\x00\x18ftypmp42" + b"0" * 100,
        keys.poster_key(slug): b"\xff\xd8\xff" + b"0" * 50,
        f"{keys.hls_prefix(slug)}index.m3u8": PLAYLIST.encode(),
        f"{keys.hls_prefix(slug)}seg0.ts": b"G" * 188,
    }
    for key, data in files.items():
        await storage.put_bytes(key, data)
    bob = await subscribed(nv_resources, people["bob"], two_tiers["patron"])
    ann = await subscribed(nv_resources, people["ann"], two_tiers["fan"])
    return {"video": video, "files": files, "bob": bob, "ann": ann}


async def _end(sub: Subscription) -> None:
    """Time passes: the subscription's period (and any leeway) is over."""
    await Subscription.update({Subscription.access_until: int(time.time()) - 1}).where(
        Subscription.id == sub.id
    )


async def test_only_live_subscribers_of_the_tier_or_higher_may_watch(
    nv_resources: Any, people: dict[str, Any], secret: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    video = secret["video"]
    assert await media.may_view(nv_resources, video, people["cara"])
    assert await media.may_view(nv_resources, video, people["bob"])
    assert not await media.may_view(nv_resources, video, people["ann"])  # Fan < Patron
    assert not await media.may_view(nv_resources, video, None)
    # Every tier may watch a video without a minimum tier.
    await access.set_video_tier(video, None)
    assert await media.may_view(nv_resources, video, people["ann"])
    await access.set_video_tier(video, two_tiers["patron"])
    # Bob cancels: he watches to the end of the paid period, then no more.
    await services.cancel(nv_resources, people["bob"], secret["bob"].id)
    assert await media.may_view(nv_resources, video, people["bob"])
    await _end(secret["bob"])
    assert not await media.may_view(nv_resources, video, people["bob"])


async def test_no_media_url_reaches_non_subscribers(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], secret: dict[str, Any]
) -> None:
    video, files = secret["video"], secret["files"]
    for viewer in (None, people["ann"]):
        for key in files:
            with pytest.raises(PermissionError):
                await media.media_url(nv_resources, video, key, viewer)
    # No file is served without a valid signature, whoever asks.
    for key in files:
        assert (await nv_client.get(f"/media/{key}")).status_code == 403
        forged = f"exp={int(time.time()) + 300}&sig={'0' * 64}"
        assert (await nv_client.get(f"/media/{key}?{forged}")).status_code == 403


async def test_subscriber_fetches_signed_media_until_it_expires(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], secret: dict[str, Any]
) -> None:
    video, files = secret["video"], secret["files"]
    stream, poster, playlist, _ = list(files)
    for key in (stream, poster):
        url = await media.media_url(nv_resources, video, key, people["bob"])
        fetched = await nv_client.get(url)
        assert fetched.status_code == 200
        assert fetched.content == files[key]
        assert fetched.headers["cache-control"].startswith("private")
    # The playlist comes back with each segment signed; segments need that signature.
    listing = await nv_client.get(
        await media.media_url(nv_resources, video, playlist, people["bob"])
    )
    assert listing.status_code == 200
    [line] = [ln for ln in listing.text.splitlines() if ln.startswith("seg0.ts")]
    assert "sig=" in line
    base = f"/media/{keys.hls_prefix(video.slug)}"
    assert (await nv_client.get(base + line)).status_code == 200
    assert (await nv_client.get(base + "seg0.ts")).status_code == 403
    # A URL signed a while ago for a subscriber has expired: refused.
    secret_key = instance_secret(nv_resources.settings)
    for key in files:
        old = signed_query(secret_key, key, 300, now=time.time() - 301)
        assert (await nv_client.get(f"/media/{key}?{old}")).status_code == 403
    # Once his subscription is over, Bob gets no new URL either.
    await services.cancel(nv_resources, people["bob"], secret["bob"].id)
    await _end(secret["bob"])
    with pytest.raises(PermissionError):
        await media.media_url(nv_resources, video, stream, people["bob"])


async def test_video_page_plays_for_subscribers_and_is_locked_for_others(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], secret: dict[str, Any]
) -> None:
    slug = secret["video"].slug
    prefix = f"videos/{slug}/"
    visitor = await nv_client.get(f"/v/{slug}", headers={"accept": "text/html"})
    assert visitor.status_code == 403
    assert "Only the creator&#39;s subscribers can watch it." in visitor.text or (
        "Only the creator's subscribers can watch it." in visitor.text
    )
    assert prefix not in visitor.text
    assert 'href="/subscriptions/c/cara"' in visitor.text
    await login(nv_client, "ann")
    locked = await nv_client.get(f"/v/{slug}", headers={"accept": "text/html"})
    assert locked.status_code == 403
    assert "Subscribe to watch" in locked.text
    assert prefix not in locked.text
    await login(nv_client, "bob")
    await assert_plays_with_signed_media(nv_client, slug)


async def test_no_feed_search_embed_or_notification_shows_it(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], secret: dict[str, Any]
) -> None:
    video = secret["video"]
    slug = video.slug
    await social.set_follow(people["ann"], people["cara"], True)
    surfaces = [
        "/",
        "/tag/yarn",
        "/search?q=knitting",
        "/following",
        f"/api/videos/{slug}",
    ]
    for who in (None, "ann"):
        if who:
            await login(nv_client, who)
        for path in surfaces:
            answer = await nv_client.get(path, headers={"accept": "text/html"})
            assert slug not in answer.text, (who, path)
    # The profile lists it by caption, locked, without any of its media.
    profile = (await nv_client.get("/u/cara", headers={"accept": "text/html"})).text
    grid = profile[profile.index('class="nv-grid-section"') :]
    assert slug not in grid
    assert "Subscribers only" in profile
    assert not [key for key in secret["files"] if key in profile]
    # The public video of the same creator does show: the surfaces work.
    assert "open knitting" in (await nv_client.get("/u/cara")).text
    assert "open knitting" in (await nv_client.get("/search?q=knitting")).text
    assert (await nv_client.get(f"/embed/{slug}")).status_code == 404
    page_url = quote(f"http://127.0.0.1:8000/v/{slug}", safe="")
    assert (await nv_client.get(f"/oembed?url={page_url}")).status_code == 404
    # Ann is mentioned in its caption, but may not watch it: she is not told.
    assert await notify_mentions(video) == 0
    assert await Notification.count().where(Notification.recipient == people["ann"].id) == 0
    # The video API answers only for those who may watch.
    assert (await nv_client.get(f"/api/videos/{slug}")).status_code == 404
    await login(nv_client, "bob")
    assert (await nv_client.get(f"/api/videos/{slug}")).status_code == 200
