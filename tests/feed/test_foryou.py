"""For You before a trained model: popular videos, fresh slots, then everything else."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.feed import foryou
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video

CURSOR = re.compile(r'hx-get="/feed/next\?cursor=([^"]+)"')


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    # Pages of the cache would hide the order; fresh slots every third card.
    return nv_settings_factory(
        server={"page_cache_seconds": 0}, plugin={"feed": {"foryou_fresh_every": 3}}
    )


def slugs(html: str) -> list[str]:
    return re.findall(r'<article class="nv-card[^"]*" id="v-([^"]+)"', html)


async def watch(
    video: Video, *, plays: int = 0, completes: int = 0, skips: int = 0, days_ago: float = 0
) -> None:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    kinds = [(False, False)] * plays + [(True, False)] * completes + [(False, True)] * skips
    rows = [
        WatchEvent(
            video=video.id,
            session_id=f"s{index}",
            watched_ms=1000,
            completed=completed,
            skipped=skipped,
            created_at=when,
        )
        for index, (completed, skipped) in enumerate(kinds)
    ]
    if rows:
        await WatchEvent.insert(*rows)


async def read_all(client: Any) -> list[str]:
    """Every slug the feed shows, following the cursors from the home page to the end."""
    html = (await client.get("/")).text
    shown = slugs(html)
    for _ in range(50):
        cursor = CURSOR.search(html)
        if cursor is None:
            return shown
        html = (await client.get(f"/feed/next?cursor={cursor.group(1)}")).text
        shown += slugs(html)
    raise AssertionError("the feed never ended")


async def test_without_watch_events_the_feed_is_newest_first(
    nv_client: Any, make_videos: Any
) -> None:
    videos = await make_videos(8)
    assert await read_all(nv_client) == [v.slug for v in reversed(videos)]


async def test_popular_videos_come_first_with_fresh_ones_between(
    nv_client: Any, make_videos: Any
) -> None:
    videos = await make_videos(12)
    hit, liked, watched = videos[0], videos[1], videos[2]
    await watch(hit, completes=20)
    await watch(liked, completes=8)
    await watch(watched, plays=5)
    await watch(videos[3], skips=9)  # skipped only: never counts as popular
    order = await read_all(nv_client)
    newest = videos[-1]
    assert order[:4] == [hit.slug, liked.slug, newest.slug, watched.slug]
    # Every video once, popular or not.
    assert sorted(order) == sorted(v.slug for v in videos)
    assert len(order) == len(set(order))


async def test_engagement_is_weighed_down_by_age(nv_client: Any, make_videos: Any) -> None:
    old, new = await make_videos(2)
    await Video.update({Video.created_at: datetime.now(UTC) - timedelta(days=3)}).where(
        Video.id == old.id
    )
    await watch(old, completes=5)
    await watch(new, completes=5)
    mix = await foryou.for_you(nv_client.app.state.resources).current()
    assert mix.ids[:2] == (new.id, old.id)


async def test_only_recent_events_of_shown_videos_count(nv_client: Any, make_videos: Any) -> None:
    shown, stale = await make_videos(2)
    [private] = await make_videos(1, visibility="private")
    [failed] = await make_videos(1, status="failed")
    await watch(stale, completes=50, days_ago=8)  # outside the 7-day window
    await watch(private, completes=50)
    await watch(failed, completes=50)
    await watch(shown, plays=1)
    mix = await foryou.for_you(nv_client.app.state.resources).current()
    assert mix.ids[0] == shown.id
    assert private.id not in mix.members
    assert failed.id not in mix.members
    order = await read_all(nv_client)
    assert private.slug not in order
    assert failed.slug not in order
    assert order[0] == shown.slug
    assert stale.slug in order


async def test_a_page_cursor_survives_a_rebuild(nv_client: Any, make_videos: Any) -> None:
    videos = await make_videos(9)
    for rank, video in enumerate(videos):
        await watch(video, completes=rank + 1)
    state = foryou.for_you(nv_client.app.state.resources)
    first = await state.current()
    home = (await nv_client.get("/")).text
    cursor = CURSOR.search(home)
    assert cursor is not None
    assert cursor.group(1) == f"m{first.version}.5"
    # A new, different order is built meanwhile (the least watched video is now the hit).
    await watch(videos[0], completes=100)
    await state._rebuild()
    assert (await state.current()).version == first.version + 1
    rest = slugs((await nv_client.get(f"/feed/next?cursor={cursor.group(1)}")).text)
    slug_of = {v.id: v.slug for v in videos}
    # The second page continues the order the first page came from, not the new one.
    assert slugs(home) + rest == [slug_of[i] for i in first.ids]
    assert (await state.current()).ids[0] == videos[0].id != first.ids[0]


async def test_a_tail_cursor_keeps_to_its_mix_across_a_rebuild(
    nv_settings_factory: Any, make_videos: Any, nv_client: Any
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    videos = await make_videos(14)
    for video in videos[:2]:
        await watch(video, completes=5)
    # A short mix (two popular videos, no fresh slots), so pages soon reach the tail.
    settings = nv_settings_factory(
        server={"page_cache_seconds": 0},
        plugin={"feed": {"foryou_fresh_every": 0, "foryou_pool": 2}},
    )
    async with client_for(create_app(settings)) as client:
        state = foryou.for_you(client.app.state.resources)
        first = await state.current()
        assert first.ids == (videos[1].id, videos[0].id)
        home = (await client.get("/")).text
        cursor = CURSOR.findall(home)[0]
        assert cursor.startswith(f"t{first.version}.")
        # Meanwhile two videos further down the tail become the popular ones.
        shown = slugs(home)
        for video in videos[2:4]:
            assert video.slug not in shown
            await watch(video, completes=50)
        await state._rebuild()
        assert set((await state.current()).ids) == {videos[2].id, videos[3].id}
        order = shown
        while cursor:
            html = (await client.get(f"/feed/next?cursor={cursor}")).text
            order += slugs(html)
            cursor = next(iter(CURSOR.findall(html)), "")
    # The reader who started before the rebuild sees every video exactly once.
    assert sorted(order) == sorted(v.slug for v in videos)
    assert len(order) == len(set(order))


async def test_a_plain_tail_id_from_an_older_page_still_works(
    nv_client: Any, make_videos: Any
) -> None:
    videos = await make_videos(8)
    response = await nv_client.get("/feed/next", params={"cursor": str(videos[5].id)})
    assert slugs(response.text) == [v.slug for v in reversed(videos[:5])]


async def test_a_stale_order_is_rebuilt_in_the_background(
    nv_settings_factory: Any, make_videos: Any, nv_client: Any
) -> None:
    state = foryou.ForYou(nv_settings_factory(plugin={"feed": {"foryou_refresh_seconds": 0.05}}))
    first_video, second_video = await make_videos(2)
    await watch(first_video, completes=3)
    first = await state.current()
    assert first.ids[0] == first_video.id
    await watch(second_video, completes=30)
    await asyncio.sleep(0.06)
    # The stale order is still served while the new one is built...
    assert await state.current() is first
    for _ in range(100):
        await asyncio.sleep(0.02)
        if (await state.current()).version > first.version:
            break
    # ...and then replaced.
    assert (await state.current()).ids[0] == second_video.id


@pytest.mark.parametrize(
    "cursor",
    ["abc", "m0.1", "m1.-1", "m1", "m.", "-5", "1e3", "m1.x", "t0.4", "t1", "t1.-2", "x1.2"],
)
async def test_a_forged_cursor_is_refused_with_a_way_out(nv_client: Any, cursor: str) -> None:
    response = await nv_client.get("/feed/next", params={"cursor": cursor})
    assert response.status_code == 400
    assert "reload the feed" in response.text


def test_interleave_puts_a_fresh_video_in_every_third_slot() -> None:
    assert foryou.interleave([1, 2, 3, 4, 5], [9, 8, 2], 3) == [1, 2, 9, 3, 4, 8, 5]
    assert foryou.interleave([1, 2], [9, 8, 7], 3) == [1, 2, 9, 8, 7]
    assert foryou.interleave([1, 2, 3], [9], 0) == [1, 2, 3, 9]
    assert foryou.interleave([], [9, 8], 3) == []


async def test_anonymous_visitors_share_a_rendered_batch_members_do_not(
    nv_settings_factory: Any, make_videos: Any, nv_client: Any
) -> None:
    from nichevid.app import create_app
    from nichevid.core.pagecache import HITS
    from nichevid.testing import client_for

    from .conftest import PASSWORD

    videos = await make_videos(12)
    path = "/feed/next?cursor=" + str(videos[7].id)
    hx = {"HX-Request": "true"}
    async with client_for(create_app(nv_settings_factory())) as client:
        before = HITS._value.get()
        first = await client.get(path, headers=hx)
        second = await client.get(path, headers=hx)
        assert HITS._value.get() == before + 1
        assert second.text == first.text
        assert slugs(first.text) == [v.slug for v in reversed(videos[2:7])]
        page = await client.get("/login")
        token = page.cookies.get("nv_csrf") or client.cookies.get("nv_csrf")
        signed_in = await client.post(
            "/login",
            data={"username": "maker", "password": PASSWORD},
            headers={"x-csrftoken": token},
        )
        assert signed_in.status_code in (302, 303)
        await client.get(path, headers=hx)
        assert HITS._value.get() == before + 1


async def test_a_personal_page_number_continues_the_shared_order(
    nv_client: Any, make_videos: Any
) -> None:
    """A visitor whose viewer cookie is gone may still hold a personal feed's loader."""
    made = await make_videos(12)
    newest = [v.slug for v in reversed(made)]
    second = await nv_client.get("/feed/next?cursor=r1")
    assert second.status_code == 200
    # Nothing was watched, so the shared order is its newest-first tail.
    assert slugs(second.text) == newest[:5]
    assert (await nv_client.get("/feed/next?cursor=r1x")).status_code == 400


async def test_requests_before_the_first_order_wait_for_one_build(
    nv_settings: Any, make_videos: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_videos(3)
    built: list[int] = []
    real = foryou.build_mix

    async def counted(settings: Any, version: int) -> foryou.Mix:
        built.append(version)
        await asyncio.sleep(0.01)
        return await real(settings, version)

    monkeypatch.setattr(foryou, "build_mix", counted)
    state = foryou.ForYou(nv_settings)
    mixes = await asyncio.gather(*(state.current() for _ in range(20)))
    assert built == [1]
    assert all(mix is mixes[0] for mix in mixes)
