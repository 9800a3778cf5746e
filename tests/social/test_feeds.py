"""Card actions on feed pages (one query per page of cards), and the Following feed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.feed import foryou
from nichevid.recommend.catalogue import catalogue
from nichevid.social import services

from .conftest import browser, statements_of_this_task

CARD = re.compile(r'<article class="nv-card[^"]*" id="v-([^"]+)"')
NEXT = re.compile(r'hx-get="/following\?cursor=(\d+)"')


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    """No anonymous page cache: these tests load the same page before and after changes."""
    return nv_settings_factory(server={"page_cache_seconds": 0})


def slugs(html: str) -> list[str]:
    return CARD.findall(html)


def like_button(html: str, slug: str) -> str:
    match = re.search(
        rf"<button[^>]*data-nv-like[^>]*/social/videos/{slug}/like[^>]*>.*?</button>", html, re.S
    )
    assert match is not None, f"no like button for {slug}"
    return match.group(0)


def count_of(button: str) -> str:
    match = re.search(r'class="nv-action-count"[^>]*>([^<]*)<', button)
    assert match is not None
    return match.group(1)


async def test_cards_show_counts_and_the_viewers_own_likes(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    bob, cyd = await make_user("bob"), await make_user("cyd")
    first, second = await make_video(ada), await make_video(ada)
    await services.set_like(cyd, first, True)
    await services.set_like(bob, second, True)
    await services.set_like(cyd, second, True)
    await services.set_bookmark(bob, first, True)
    await browser(nv_client, bob)

    html = (await nv_client.get("/")).text
    assert "<!--nv-social" not in html
    one, two = like_button(html, first.slug), like_button(html, second.slug)
    assert 'aria-pressed="false"' in one
    assert count_of(one) == "1"
    assert 'aria-pressed="true"' in two
    assert count_of(two) == "2"
    assert f'hx-delete="/social/videos/{second.slug}/like"' in two
    bookmark = re.search(rf"data-nv-bookmark[^>]*/social/videos/{first.slug}/bookmark", html)
    assert bookmark is not None
    assert 'aria-pressed="true"' in bookmark.group(0)
    assert f'data-url="/v/{first.slug}"' in html
    assert "/static/social.js" in html

    single = (await nv_client.get(f"/v/{second.slug}")).text
    assert 'aria-pressed="true"' in like_button(single, second.slug)


async def test_signed_out_visitors_see_the_counts(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    await services.set_like(bob, video, True)
    html = (await nv_client.get("/")).text
    button = re.search(r"<button[^>]*data-nv-like[^>]*>.*?</button>", html, re.S)
    assert button is not None
    assert 'aria-pressed="false"' in button.group(0)
    assert count_of(button.group(0)) == "1"
    assert "hx-put" not in html


@pytest.mark.parametrize("signed_in", [False, True])
async def test_a_page_of_cards_costs_the_same_queries_for_one_card_or_five(
    nv_client: Any,
    nv_resources: Any,
    make_user: Any,
    make_video: Any,
    signed_in: bool,
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    if signed_in:
        await browser(nv_client, bob)
    # The For You order is built once per process and minute, not per page; a member's
    # follows are read once per session.
    await foryou.for_you(nv_resources).current()
    await nv_client.get("/")

    async def statements(cards: int) -> list[str]:
        videos = [await make_video(ada) for _ in range(cards)]
        for video in videos:
            await services.set_like(bob, video, True)
        # Members' For You picks from the recommender's catalogue: take the new videos in.
        await catalogue(nv_resources).refresh()
        with statements_of_this_task(nv_resources.engine) as seen:
            html = (await nv_client.get("/")).text
        assert len(slugs(html)) >= cards
        assert html.count("data-nv-like") == len(slugs(html))
        return seen

    one = await statements(1)
    five = await statements(4)  # five cards on the page now
    assert len(five) == len(one), (one, five)
    social = [sql for sql in five if "nv_video_stats" in sql]
    assert len(social) == 1


async def test_following_feed_shows_followed_creators_newest_first(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, zed = await make_user("ada", role="creator"), await make_user("zed", role="creator")
    bob = await make_user("bob")
    await services.set_follow(bob, ada, True)
    public = await make_video(ada)
    followers_only = await make_video(ada, visibility="followers")
    await make_video(ada, visibility="private")
    await make_video(ada, visibility="subscribers")
    await make_video(ada, status="processing")
    await make_video(zed)  # not followed
    await browser(nv_client, bob)

    page = await nv_client.get("/following")
    assert page.status_code == 200
    html = page.text
    assert slugs(html) == [followers_only.slug, public.slug]
    # Followers-only media is reachable only on signed URLs.
    assert f'src="/media/videos/{public.slug}/360p.mp4"' in html
    signed = re.search(rf'src="(/media/videos/{followers_only.slug}/360p\.mp4\?[^"]+)"', html)
    assert signed is not None
    media = await nv_client.get(signed.group(1).replace("&amp;", "&"))
    assert media.status_code != 403
    assert "/static/feed.js" in html
    assert like_button(html, followers_only.slug)
    assert "all caught up" in html


async def test_following_feed_pages_with_htmx(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    await services.set_follow(bob, ada, True)
    videos = [await make_video(ada) for _ in range(12)]
    newest = [v.slug for v in reversed(videos)]
    headers = await browser(nv_client, bob)
    page = (await nv_client.get("/following")).text
    assert slugs(page) == newest[:5]
    cursor = NEXT.search(page)
    assert cursor is not None
    second = await nv_client.get(f"/following?cursor={cursor.group(1)}", headers=headers)
    assert "<html" not in second.text
    assert slugs(second.text) == newest[5:10]
    assert "<!--nv-social" not in second.text
    assert "data-nv-like" in second.text
    cursor = NEXT.search(second.text)
    assert cursor is not None
    third = await nv_client.get(f"/following?cursor={cursor.group(1)}", headers=headers)
    assert slugs(third.text) == newest[10:]
    assert NEXT.search(third.text) is None


async def test_following_feed_empty_states_and_login(nv_client: Any, make_user: Any) -> None:
    anonymous = await nv_client.get("/following", headers={"accept": "text/html"})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/following"
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    await browser(nv_client, bob)
    assert "Follow creators from their profile" in (await nv_client.get("/following")).text
    await services.set_follow(bob, ada, True)
    assert "have not posted anything yet" in (await nv_client.get("/following")).text


async def test_following_feed_checks_followers_only_cards_without_a_query_each(
    nv_client: Any,
    nv_resources: Any,
    make_user: Any,
    make_video: Any,
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    await services.set_follow(bob, ada, True)
    await browser(nv_client, bob)

    async def statements(cards: int) -> int:
        for _ in range(cards):
            await make_video(ada, visibility="followers")
        with statements_of_this_task(nv_resources.engine) as seen:
            html = (await nv_client.get("/following")).text
        assert html.count("360p.mp4?exp=") == len(slugs(html))
        return len(seen)

    assert await statements(1) == await statements(4)
