"""The home feed page, its htmx batches, the single-video page and the empty state."""

from __future__ import annotations

import re
from typing import Any

from nichevid.feed import foryou
from nichevid.media.tables import Rendition, Video
from nichevid.recommend.catalogue import catalogue

CURSOR = re.compile(r'hx-get="/feed/next\?cursor=(t\d+\.\d+)"')


def slugs(html: str) -> list[str]:
    return re.findall(r'<article class="nv-card[^"]*" id="v-([^"]+)"', html)


async def test_empty_instance_shows_a_friendly_empty_state(nv_client: Any) -> None:
    response = await nv_client.get("/")
    assert response.status_code == 200
    assert "No videos yet" in response.text
    assert 'href="/signup"' in response.text
    assert "<video" not in response.text


async def test_home_renders_the_first_cards_newest_first(nv_client: Any, make_videos: Any) -> None:
    videos = await make_videos(7)
    response = await nv_client.get("/")
    assert response.status_code == 200
    html = response.text
    newest = [v.slug for v in reversed(videos)]
    assert slugs(html) == newest[:5]
    first = videos[-1]
    assert f'src="/media/videos/{first.slug}/360p.mp4"' in html
    assert f'poster="/media/videos/{first.slug}/poster.webp"' in html
    assert "playsinline muted loop" in html
    assert 'preload="metadata"' in html
    assert "@maker" in html
    assert "clip 6 of maker #test" in html
    assert 'hx-trigger="revealed"' in html
    assert 'hx-swap="outerHTML"' in html
    assert CURSOR.search(html)
    assert "/static/feed.js" in html


async def test_next_batch_fragment_continues_with_a_new_cursor(
    nv_client: Any, make_videos: Any
) -> None:
    videos = await make_videos(12)
    newest = [v.slug for v in reversed(videos)]
    home = await nv_client.get("/")
    cursor = CURSOR.search(home.text)
    assert cursor is not None

    second = await nv_client.get(
        f"/feed/next?cursor={cursor.group(1)}", headers={"HX-Request": "true"}
    )
    assert second.status_code == 200
    assert "<html" not in second.text
    assert slugs(second.text) == newest[5:10]
    next_cursor = CURSOR.search(second.text)
    assert next_cursor is not None
    assert next_cursor.group(1) != cursor.group(1)

    third = await nv_client.get(
        f"/feed/next?cursor={next_cursor.group(1)}", headers={"HX-Request": "true"}
    )
    assert slugs(third.text) == newest[10:]
    assert CURSOR.search(third.text) is None
    assert "all caught up" in third.text


async def test_only_ready_public_videos_with_a_rendition_are_shown(
    nv_client: Any, make_videos: Any
) -> None:
    [shown] = await make_videos(1)
    await make_videos(1, status="processing")
    await make_videos(1, status="failed")
    await make_videos(1, visibility="private")
    [bare] = await make_videos(1)
    await Rendition.delete().where(Rendition.video == bare.id)
    response = await nv_client.get("/")
    assert slugs(response.text) == [shown.slug]


async def test_user_text_is_escaped(nv_client: Any, make_videos: Any) -> None:
    await make_videos(1, caption="<script>alert(1)</script> #xss")
    response = await nv_client.get("/")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_home_page_uses_one_query_for_the_cards(
    nv_client: Any, make_videos: Any, monkeypatch: Any
) -> None:
    await make_videos(5)
    # The For You order (and the recommender's catalogue, for the topic picker) is built
    # once per process and minute, not per request.
    await foryou.for_you(nv_client.app.state.resources).current()
    await catalogue(nv_client.app.state.resources).snapshot()
    calls: list[str] = []
    original = Video.raw

    def counting(sql: str, *args: Any) -> Any:
        calls.append(sql)
        return original(sql, *args)

    monkeypatch.setattr(Video, "raw", counting)
    response = await nv_client.get("/")
    assert len(slugs(response.text)) == 5
    assert len(calls) == 1


async def test_single_video_page(nv_client: Any, make_videos: Any) -> None:
    [video] = await make_videos(1, caption="A shareable moment #share")
    response = await nv_client.get(f"/v/{video.slug}")
    assert response.status_code == 200
    assert slugs(response.text) == [video.slug]
    assert '<meta property="og:video"' in response.text
    assert f"/media/videos/{video.slug}/poster.jpg" in response.text
    assert "A shareable moment" in response.text


async def test_single_video_page_hides_what_is_not_public(nv_client: Any, make_videos: Any) -> None:
    [private] = await make_videos(1, visibility="private")
    [processing] = await make_videos(1, status="processing")
    for slug in (private.slug, processing.slug, "nosuchvideo"):
        response = await nv_client.get(f"/v/{slug}")
        assert response.status_code == 404


async def test_cards_show_the_card_sized_poster_when_there_is_one(
    nv_client: Any, make_videos: Any
) -> None:
    [video] = await make_videos(1)
    card = {
        "jpg": f"videos/{video.slug}/poster-card.jpg",
        "webp": f"videos/{video.slug}/poster-card.webp",
        "width": 360,
        "height": 640,
    }
    await Video.update({Video.images: {"card": card}}).where(Video.id == video.id)
    html = (await nv_client.get("/")).text
    assert f'poster="/media/videos/{video.slug}/poster-card.webp"' in html
