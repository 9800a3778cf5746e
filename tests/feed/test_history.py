"""``/history`` and ``/saved``: what a member watched, bookmarked and liked, newest first,
each video once, only what they may still watch; clearing the history deletes their
watch events and nobody else's."""

from __future__ import annotations

import re
from typing import Any

from nichevid.feed.tables import WatchEvent
from nichevid.safety.tables import Block
from nichevid.social.listing import GRID_PAGE
from nichevid.social.tables import Bookmark, Like
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import login, post_form
from tests.conftest import user_maker

HTML = {"accept": "text/html"}
HTMX = {"HX-Request": "true"}


def tiles(html: str) -> list[str]:
    return re.findall(r'id="g-([\w-]+)"', html)


async def watch(viewer: Any, video: Any) -> None:
    await WatchEvent(viewer=viewer.id, video=video.id, watched_ms=1000, feed="foryou").save()


async def test_the_history_lists_what_was_watched_last_first_and_clears(
    nv_client: Any, nv_resources: Any
) -> None:
    make = user_maker(nv_resources)
    fan, other = await make("fan"), await make("other")
    maker, blocker = await make("maker", role="creator"), await make("blocker", role="creator")
    videos = [await ready_video(maker, caption=f"clip {n}") for n in range(GRID_PAGE + 2)]
    private = await ready_video(maker, caption="mine only", visibility="private")
    blocked = await ready_video(blocker, caption="from a blocker")
    for video in videos:
        await watch(fan, video)
    await watch(fan, videos[0])  # watched again: first, and once
    await watch(fan, private)
    await watch(fan, blocked)
    await Block(blocker=blocker.id, blocked=fan.id).save()
    await watch(other, videos[5])

    assert (await nv_client.get("/history", headers=HTML)).status_code in (303, 401)
    await login(nv_client, "fan")
    page = await nv_client.get("/history", headers=HTML)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    first = tiles(page.text)
    expected = [videos[0].slug] + [v.slug for v in reversed(videos[1:])]
    assert first == expected[:GRID_PAGE]
    cursor = re.search(r'hx-get="/history\?cursor=(\d+)"', page.text)
    assert cursor
    more = await nv_client.get(f"/history?cursor={cursor.group(1)}", headers=HTMX)
    assert tiles(more.text) == expected[GRID_PAGE:]
    assert "hx-get" not in more.text
    assert (await nv_client.get("/history?cursor=soon", headers=HTMX)).status_code == 400

    cleared = await post_form(nv_client, "/history/clear", {})
    assert cleared.status_code == 303
    assert await WatchEvent.count().where(WatchEvent.viewer == fan.id) == 0
    assert await WatchEvent.count().where(WatchEvent.viewer == other.id) == 1
    page = (await nv_client.get(cleared.headers["location"], headers=HTML)).text
    assert 'id="nv-history-cleared"' in page
    assert tiles(page) == []
    assert "Nothing watched yet" in page


async def test_saved_videos_list_bookmarks_and_likes_newest_first(
    nv_client: Any, nv_resources: Any
) -> None:
    make = user_maker(nv_resources)
    fan, maker = await make("fan"), await make("maker", role="creator")
    videos = [await ready_video(maker, caption=f"clip {n}") for n in range(GRID_PAGE + 1)]
    private = await ready_video(maker, caption="mine only", visibility="private")
    for video in [*videos, private]:
        await Bookmark(viewer=fan.id, video=video.id).save()
    await Like(viewer=fan.id, video=videos[3].id).save()
    await Like(viewer=maker.id, video=videos[4].id).save()  # someone else's

    await login(nv_client, "fan")
    page = await nv_client.get("/saved", headers=HTML)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    newest_first = [v.slug for v in reversed(videos)]
    assert tiles(page.text) == newest_first[:GRID_PAGE]
    cursor = re.search(r'hx-get="/saved/bookmarks\?cursor=(\d+)"', page.text)
    assert cursor
    more = await nv_client.get(f"/saved/bookmarks?cursor={cursor.group(1)}", headers=HTMX)
    assert tiles(more.text) == newest_first[GRID_PAGE:]
    liked = (await nv_client.get("/saved/liked", headers=HTML)).text
    assert tiles(liked) == [videos[3].slug]
    assert (await nv_client.get("/saved/watched", headers=HTML)).status_code == 404
    assert (await nv_client.get("/saved/liked?cursor=x", headers=HTMX)).status_code == 400
    nv_client.cookies.clear()
    assert (await nv_client.get("/saved", headers=HTML)).status_code in (303, 401)
