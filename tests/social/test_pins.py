"""Pinned videos: up to three at the top of a profile, only open ones, only one's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.media.tables import Video
from nichevid.social import listing, pins

from .conftest import PASSWORD, bearer


async def test_pins_through_the_api_and_their_limits(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob", role="creator")
    videos = [await make_video(ada) for _ in range(4)]
    private = await make_video(ada, visibility="private")
    theirs = await make_video(bob)
    headers = await bearer(ada)
    for count, video in enumerate(videos[:3], start=1):
        for _ in range(2):  # pinning again changes nothing
            done = await nv_client.put(f"/api/videos/{video.slug}/pin", headers=headers)
            assert done.status_code == 200, done.text
            assert done.json() == {"id": video.slug, "pinned": True, "pinned_count": count}
    full = await nv_client.put(f"/api/videos/{videos[3].slug}/pin", headers=headers)
    assert full.status_code == 400
    assert full.json()["detail"] == "You can pin at most 3 videos: unpin one first."
    closed = await nv_client.put(f"/api/videos/{private.slug}/pin", headers=headers)
    assert closed.status_code == 400
    assert "Only published public videos" in closed.json()["detail"]
    for slug in (theirs.slug, "nosuchvideo", "x" * 100):
        missing = await nv_client.put(f"/api/videos/{slug}/pin", headers=headers)
        assert missing.status_code == 404
    assert await pins.pinned_count(bob.id) == 0
    unpinned = await nv_client.delete(f"/api/videos/{videos[0].slug}/pin", headers=headers)
    assert unpinned.json() == {"id": videos[0].slug, "pinned": False, "pinned_count": 2}
    assert (await nv_client.put(f"/api/videos/{videos[3].slug}/pin", headers=headers)).json()[
        "pinned_count"
    ] == 3
    # Without a token: refused (no session, no CSRF token), nothing changed.
    nobody = await nv_client.delete(f"/api/videos/{videos[3].slug}/pin")
    assert nobody.status_code in (401, 403)
    assert await pins.pinned_count(ada.id) == 3


async def test_pinned_videos_open_the_profile_once(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    videos = [await make_video(ada) for _ in range(15)]
    now = datetime.now(UTC)
    await pins.set_pinned(videos[2], True, now=now - timedelta(minutes=1))
    await pins.set_pinned(videos[5], True, now=now)
    items, cursor = await listing.profile_grid(nv_resources, ada)
    slugs = [item.slug for item in items]
    assert slugs[:2] == [videos[5].slug, videos[2].slug]  # newest pin first
    assert [item.pinned for item in items[:3]] == [True, True, False]
    assert slugs.count(videos[5].slug) == 1
    assert cursor is not None
    rest, _ = await listing.profile_grid(nv_resources, ada, before=cursor)
    shown = slugs + [item.slug for item in rest]
    assert sorted(shown) == sorted(v.slug for v in videos)  # every video once
    assert not any(item.pinned for item in rest)
    page = await nv_client.get("/u/ada")
    assert page.text.count('class="nv-grid-pinned"') == 2
    # A pinned video made private leaves the profile's top with the rest of the profile.
    await Video.update({Video.visibility: "private"}).where(Video.id == videos[5].id)
    items, _ = await listing.profile_grid(nv_resources, ada)
    assert [item.slug for item in items if item.pinned] == [videos[2].slug]


async def test_the_studio_pins_and_unpins(nv_client: Any, make_user: Any, make_video: Any) -> None:
    from tests.accounts.conftest import login, post_form

    ada = await make_user("ada", role="creator")
    video = await make_video(ada)
    others = [await make_video(ada) for _ in range(3)]
    await login(nv_client, "ada", PASSWORD)
    page = await nv_client.get(f"/studio/v/{video.slug}")
    assert 'id="nv-studio-pin" data-pinned="0"' in page.text
    done = await post_form(nv_client, f"/studio/v/{video.slug}/pin", {"pinned": "1"})
    assert done.status_code == 303
    shown = await nv_client.get(done.headers["location"])
    assert 'data-pinned="1"' in shown.text
    assert "Pinned: it now opens your profile." in shown.text
    for other in others[:2]:
        await post_form(nv_client, f"/studio/v/{other.slug}/pin", {"pinned": "1"})
    refused = await post_form(nv_client, f"/studio/v/{others[2].slug}/pin", {"pinned": "1"})
    assert refused.status_code == 400
    assert "at most 3 videos" in refused.text
    assert await pins.pinned_count(ada.id) == 3
    off = await post_form(nv_client, f"/studio/v/{video.slug}/pin", {"pinned": "0"})
    assert off.headers["location"].endswith("?pinned=0")
    assert await pins.pinned_count(ada.id) == 2
    private = await make_video(ada, visibility="private")
    assert 'id="nv-studio-pin"' not in (await nv_client.get(f"/studio/v/{private.slug}")).text
