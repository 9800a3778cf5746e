"""Notifications: the service other packages call, mentions when a video becomes ready,
the page (newest first, read once seen), the unread badge, and the JSON API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.media import progress
from nichevid.media.tables import Video
from nichevid.media.transcode import Plan
from nichevid.plugins import hookimpl
from nichevid.social import notifications, services
from nichevid.social.notifications import notify
from nichevid.social.tables import Notification

from .conftest import browser, signed_in, statements_of_this_task

BADGE = re.compile(r'<span class="nv-badge">([^<]+)<span class="visually-hidden"> unread</span>')


async def test_notify_stores_one_entry_per_event(make_user: Any, make_video: Any) -> None:
    ada, bob, cyd = [await make_user(n) for n in ("ada", "bob", "cyd")]
    video = await make_video(ada)
    assert await notify(ada, "comment", bob, video=video, text="  Nice line!  ") is True
    assert await notify(ada.id, "comment", bob.id, video=video.id, text="Again") is True
    assert await notify(ada, "like", bob, video=video) is True
    assert await notify(ada, "like", bob, video=video) is False  # a repeat
    assert await notify(ada, "like", cyd, video=video) is True  # another liker
    assert await notify(ada, "reply", ada, video=video) is False  # one's own doing
    assert await notify(ada, "mention", bob, video=video) is True
    assert await notify(ada, "mention", bob, video=video) is False
    assert await notify(ada, "gift", None, text="The site gave you a badge.") is True
    rows = await Notification.select(Notification.kind, Notification.text).order_by(Notification.id)
    assert [(r["kind"], r["text"]) for r in rows] == [
        ("comment", "Nice line!"),
        ("comment", "Again"),
        ("like", ""),
        ("like", ""),
        ("mention", ""),
        ("gift", "The site gave you a badge."),
    ]
    assert await notifications.unread_count(ada) == 6
    assert await notifications.unread_count(bob) == 0


@pytest.mark.parametrize("kind", ["", "Like", "like!", "a" * 17, "9lives"])
async def test_notify_refuses_kinds_that_are_not_words(make_user: Any, kind: str) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    with pytest.raises(ValueError, match="lower-case words"):
        await notify(ada, kind, bob)
    assert await Notification.count() == 0


async def test_long_texts_are_cut(make_user: Any) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    await notify(ada, "comment", bob, text="x" * 2000)
    [row] = await Notification.select(Notification.text)
    assert len(row["text"]) == notifications.TEXT_MAX


async def test_page_lists_newest_first_and_marks_them_read(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    bob, cyd = await make_user("bob"), await make_user("cyd")
    video = await make_video(ada)
    await services.set_follow(bob, ada, True)
    await services.set_like(cyd, video, True)
    await notify(ada, "comment", bob, video=video, text="<b>so good</b>")
    await browser(nv_client, ada)

    home = await nv_client.get("/")
    badge = BADGE.search(home.text)
    assert badge is not None
    assert badge.group(1) == "3"

    page = await nv_client.get("/notifications")
    assert page.status_code == 200
    html = page.text
    order = [
        html.index(s)
        for s in ("commented on your video", "liked your video", "started following you")
    ]
    assert order == sorted(order)
    assert '<a href="/u/cyd">cyd</a> liked your video' in html
    assert f'<a href="/v/{video.slug}">See the video</a>' in html
    assert "&lt;b&gt;so good&lt;/b&gt;" in html
    assert html.count("nv-notification is-unread") == 3
    assert BADGE.search(html) is None  # counted after being marked read
    assert await notifications.unread_count(ada) == 0

    again = await nv_client.get("/notifications")
    assert "is-unread" not in again.text
    await notify(ada, "reply", bob, video=video, text="thanks")
    assert BADGE.search((await nv_client.get("/u/ada")).text).group(1) == "1"  # type: ignore[union-attr]


async def test_badge_caps_at_99(nv_client: Any, make_user: Any) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    for _ in range(100):
        await notify(ada, "comment", bob)
    await browser(nv_client, ada)
    badge = BADGE.search((await nv_client.get("/u/bob")).text)
    assert badge is not None
    assert badge.group(1) == "99+"


async def test_badge_costs_one_query(nv_client: Any, nv_resources: Any, make_user: Any) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    await notify(ada, "follow", bob)
    await browser(nv_client, ada)
    with statements_of_this_task(nv_resources.engine) as seen:
        html = (await nv_client.get("/settings/profile")).text
    assert BADGE.search(html) is not None
    assert len([sql for sql in seen if "nv_notification" in sql]) == 1


async def test_older_notifications_load_as_a_fragment(nv_client: Any, make_user: Any) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    for number in range(notifications.PAGE_SIZE + 5):
        await notify(ada, "comment", bob, text=f"comment number {number}")
    headers = await browser(nv_client, ada)
    page = (await nv_client.get("/notifications")).text
    assert f"comment number {notifications.PAGE_SIZE + 4}<" in page
    assert "comment number 4<" not in page
    more = re.search(r'hx-get="/notifications\?before=(\d+)"', page)
    assert more is not None
    older = await nv_client.get(f"/notifications?before={more.group(1)}", headers=headers)
    assert "<html" not in older.text
    assert [f"comment number {n}<" in older.text for n in range(5)] == [True] * 5
    assert "hx-get" not in older.text


@pytest.mark.parametrize("how", ["bearer", "session"])
async def test_notifications_api(nv_client: Any, make_user: Any, how: str) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    await notify(ada, "follow", bob)
    await notify(ada, "comment", bob, text="hello")
    headers = await signed_in(nv_client, ada, how)
    listing = await nv_client.get("/api/notifications", headers=headers)
    assert listing.status_code == 200
    body = listing.json()
    assert [(i["kind"], i["actor"], i["text"], i["unread"]) for i in body["items"]] == [
        ("comment", "bob", "hello", True),
        ("follow", "bob", "", True),
    ]
    assert body["unread"] == 2
    assert body["next_before"] is None
    read = await nv_client.post("/api/notifications/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["unread"] == 0
    assert (await nv_client.get("/api/notifications", headers=headers)).json()["unread"] == 0
    stranger = await nv_client.get(
        "/api/notifications", headers={"Authorization": "Bearer not-a-token"}
    )
    assert stranger.status_code == 401


async def test_notifications_page_needs_login(nv_client: Any) -> None:
    response = await nv_client.get("/notifications", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/notifications"


async def _processing(make_video: Any, owner: Any, **fields: Any) -> Video:
    return await make_video(owner, status="processing", published_at=None, **fields)


async def _store_first_rendition(resources: Any, video: Video) -> Any:
    plan = Plan("remux", 360, 640)
    key = f"videos/{video.slug}/360p.mp4"
    return await progress.store_rendition(video, plan, key, 1000, pm=resources.pm)


async def test_hook_video_ready(nv_resources: Any, make_user: Any, make_video: Any) -> None:
    ada = await make_user("ada", role="creator")
    heard: list[tuple[str, str]] = []

    class Listener:
        @hookimpl
        def video_ready(self, video: Any) -> None:
            heard.append((video.slug, video.status))

    nv_resources.pm.register(Listener())
    video = await _processing(make_video, ada)
    await _store_first_rendition(nv_resources, video)
    assert heard == [(video.slug, "ready")]
    # A second rendition of a ready video is no news.
    await progress.store_rendition(
        video,
        Plan("transcode", 720, 1280),
        f"videos/{video.slug}/720p.mp4",
        2000,
        pm=nv_resources.pm,
    )
    assert heard == [(video.slug, "ready")]


async def test_mentions_are_told_when_the_video_becomes_ready(
    nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    bob, cyd = [await make_user(n) for n in ("bob", "cyd")]
    await make_user("dee")  # not mentioned
    video = await _processing(
        make_video, ada, caption="with @bob @cyd @ada and @ghost", mentions=["bob", "cyd", "ada"]
    )
    assert await Notification.count() == 0  # not before it is ready
    await _store_first_rendition(nv_resources, video)
    rows = await Notification.select(
        Notification.recipient, Notification.kind, Notification.actor, Notification.video
    )
    assert sorted(r["recipient"] for r in rows) == [bob.id, cyd.id]
    assert {(r["kind"], r["actor"], r["video"]) for r in rows} == {("mention", ada.id, video.id)}
    # Processing it again (a retry after a failure) tells nobody twice.
    await Video.update({Video.status: "processing"}).where(Video.id == video.id)
    await _store_first_rendition(nv_resources, video)
    assert await Notification.count() == 2


async def test_mentions_in_restricted_videos_reach_only_who_may_watch(
    nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    fan, _other = await make_user("fan"), await make_user("other")
    await services.set_follow(fan, ada, True)
    await Notification.delete(force=True)
    for visibility in ("followers", "private", "subscribers"):
        video = await _processing(
            make_video, ada, visibility=visibility, caption="@fan @other", mentions=["fan", "other"]
        )
        await _store_first_rendition(nv_resources, video)
    rows = await Notification.select(Notification.recipient, Notification.video)
    assert len(rows) == 1
    assert rows[0]["recipient"] == fan.id
