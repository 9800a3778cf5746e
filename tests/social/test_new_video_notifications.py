"""Followers are told when a creator's new video is out, once, and only those who may
and want to see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.media import progress, schedule
from nichevid.media.tables import Video
from nichevid.media.transcode import Plan
from nichevid.safety import blocks
from nichevid.social import notifications
from nichevid.social.tables import Follow, Notification

from .conftest import browser


async def _first_rendition(resources: Any, video: Video) -> None:
    await progress.store_rendition(
        video, Plan("remux", 360, 640), f"videos/{video.slug}/360p.mp4", 1000, pm=resources.pm
    )


async def _told(video: Video) -> set[int]:
    rows = await Notification.select(Notification.recipient).where(
        (Notification.kind == "new_video") & (Notification.video == video.id)
    )
    return {int(row["recipient"]) for row in rows}


async def test_followers_hear_of_a_new_video_once(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    fans = [await make_user(f"fan{i}") for i in range(5)]
    stranger = await make_user("stranger")
    for fan in fans:
        await Follow(follower=fan.id, followee=ada.id).save()
    await blocks.mute(fans[1], ada)
    await blocks.block(ada, fans[2])  # blocking ends the follow too
    await blocks.block(fans[3], ada)
    video = await make_video(
        ada, status="processing", published_at=None, caption="hi @fan4", mentions=["fan4"]
    )
    await _first_rendition(nv_resources, video)
    assert await _told(video) == {fans[0].id}
    mention = await Notification.select(Notification.recipient).where(
        Notification.kind == "mention"
    )
    assert mention == [{"recipient": fans[4].id}]
    assert stranger.id not in await _told(video)
    # Told once, whatever repeats the event.
    fresh = await Video.objects().get(Video.id == video.id)
    assert await notifications.notify_followers(fresh) == 0
    assert await Notification.count().where(Notification.kind == "new_video") == 1
    page = await nv_client.get("/notifications", headers=await browser(nv_client, fans[0]))
    assert "posted a new video" in page.text
    assert f"/v/{video.slug}" in page.text


async def test_private_and_subscriber_videos_are_not_announced(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, fan = await make_user("ada", role="creator"), await make_user("fan")
    await Follow(follower=fan.id, followee=ada.id).save()
    for visibility in ("private", "subscribers"):
        video = await make_video(ada, status="processing", published_at=None, visibility=visibility)
        await _first_rendition(nv_resources, video)
        assert await _told(video) == set()
    followers_only = await make_video(
        ada, status="processing", published_at=None, visibility="followers"
    )
    await _first_rendition(nv_resources, followers_only)
    assert await _told(followers_only) == {fan.id}


async def test_a_scheduled_video_is_announced_when_it_is_published(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, fan = await make_user("ada", role="creator"), await make_user("fan")
    await Follow(follower=fan.id, followee=ada.id).save()
    when = datetime.now(UTC) + timedelta(hours=1)
    video = await make_video(ada, status="processing", published_at=None, publish_at=when)
    await _first_rendition(nv_resources, video)
    assert await _told(video) == set()
    await schedule.publish_due(nv_resources.pm, now=when + timedelta(seconds=1))
    assert await _told(video) == {fan.id}


async def test_many_followers_are_told_in_few_statements(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(notifications, "FOLLOWERS_PER_STATEMENT", 2)
    ada = await make_user("ada", role="creator")
    fans = [await make_user(f"fan{i}") for i in range(5)]
    for fan in fans:
        await Follow(follower=fan.id, followee=ada.id).save()
    video = await make_video(ada, status="ready")
    assert await notifications.notify_followers(video) == 5
    assert await _told(video) == {fan.id for fan in fans}


async def test_members_may_turn_the_notices_off(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    from tests.accounts.conftest import post_form

    ada, fan, quiet = (
        await make_user("ada", role="creator"),
        await make_user("fan"),
        await make_user("quiet"),
    )
    for member in (fan, quiet):
        await Follow(follower=member.id, followee=ada.id).save()
    await browser(nv_client, quiet)
    page = await nv_client.get("/settings/safety")
    assert 'name="new_video_notices" value="1" checked' in page.text
    saved = await post_form(nv_client, "/settings/safety", {"who_may_comment": "everyone"})
    assert saved.status_code == 303
    page = await nv_client.get("/settings/safety")
    assert 'name="new_video_notices" value="1" checked' not in page.text
    video = await make_video(ada, status="ready")
    assert await notifications.notify_followers(video) == 1
    assert await _told(video) == {fan.id}
