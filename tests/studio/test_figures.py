"""The studio's figures, computed from stored rows: what counts, what does not, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.comments.tables import Comment
from nichevid.feed.tables import WatchEvent
from nichevid.social.tables import Follow, Like, Share
from nichevid.studio import figures
from nichevid.studio.figures import period_start


async def view(video: Any, ms: int, *, viewer: Any = None, session: str = "", **extra: Any) -> None:
    """One stored viewing of ``video``; ``at`` places it in time (default: now)."""
    at = extra.pop("at", None) or datetime.now(UTC)
    await WatchEvent(
        viewer=viewer.id if viewer is not None else None,
        session_id=session,
        video=video.id,
        watched_ms=ms,
        created_at=at,
        **extra,
    ).save()


async def test_a_creators_figures_count_others_viewings_of_the_period(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    now = datetime.now(UTC)  # the test's one clock
    ada = await make_user("ada", role="creator")
    bob, cara = await make_user("bob"), await make_user("cara", role="creator")
    ten = await make_video(ada, duration_ms=10_000)
    five = await make_video(ada, duration_ms=5_000, visibility="private")
    theirs = await make_video(cara, duration_ms=10_000)
    three_days_ago = now - timedelta(days=3)
    # Four viewings of ``ten``: a completion, a half, a skip and a double replay.
    await view(ten, 10_000, viewer=bob, completed=True, feed="foryou", at=now)
    await view(ten, 5_000, session="anon-1", feed="hashtag", at=three_days_ago)
    await view(ten, 500, session="anon-1", skipped=True, feed="foryou", at=now)
    await view(ten, 25_000, viewer=bob, replays=2, feed="profile", at=now)
    await view(five, 1_000, session="anon-2", feed="video", at=now)
    # Not counted: the creator's own viewing, a viewing before the period, another's video.
    await view(ten, 10_000, viewer=ada, completed=True)
    await view(ten, 10_000, session="anon-3", at=now - timedelta(days=40))
    await view(theirs, 10_000, viewer=bob)
    await Like(viewer=bob.id, video=ten.id).save()
    await Like(viewer=ada.id, video=ten.id).save()
    await Comment(video=ten.id, author=bob.id, text="nice").save()
    await Comment(video=ten.id, author=ada.id, text="thanks").save()
    await Comment(video=ten.id, author=bob.id, text="", deleted_at=now).save()
    await Share(viewer=bob.id, video=five.id).save()
    await Follow(follower=bob.id, followee=ada.id).save()
    await Follow(follower=cara.id, followee=ada.id, created_at=now - timedelta(days=60)).save()

    found = await figures.figures(ada.id, 30, now=now)
    w = found.watching
    assert (w.views, found.viewers) == (5, 3)  # bob, anon-1 and anon-2
    assert w.watched_ms == 10_000 + 5_000 + 500 + 25_000 + 1_000
    # Capped at each duration: 10 + 5 + 0.5 + 10 (the replays count once) + 1 seconds.
    assert w.share_watched == (10_000 + 5_000 + 500 + 10_000 + 1_000) / (4 * 10_000 + 5_000)
    assert (w.completions, w.skips) == (1, 1)
    assert (w.completion_rate, w.skip_rate) == (0.2, 0.2)
    assert w.average_watch_s == 41.5 / 5
    assert found.sources == {"foryou": 2, "hashtag": 1, "profile": 1, "video": 1}
    assert next(iter(found.sources)) == "foryou"  # most views first
    assert figures.Reactions(likes=1, comments=1, shares=1) == found.reactions
    assert (found.followers, found.new_followers) == (2, 1)
    assert len(found.daily) == 30
    assert found.daily[0][0] == period_start(30, now).date()
    assert found.daily[-1] == (now.date(), 4)
    assert dict(found.daily)[three_days_ago.date()] == 1
    assert sum(n for _, n in found.daily) == 5
    assert found.retention == []

    longer = await figures.figures(ada.id, 90, now=now)
    assert (longer.watching.views, longer.viewers, longer.followers) == (6, 4, 2)
    assert longer.new_followers == 2


async def test_a_videos_retention_is_the_share_still_watching_at_each_tenth(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    clip = await make_video(ada, duration_ms=10_000)
    other = await make_video(ada, duration_ms=10_000)
    for ms in (0, 1_500, 4_999, 5_000, 9_999):
        await view(clip, ms, session=f"s{ms}")
    await view(clip, 9_000, viewer=bob, completed=True)  # completed: reached the end
    await view(clip, 3_000, viewer=bob, replays=1)  # replayed: reached the end
    await view(other, 10_000, viewer=bob)

    found = await figures.figures(ada.id, 7, video=clip.id)
    assert found.watching.views == 7
    # Tenths reached: 0, 1, 4, 5, 9, 10, 10.
    expected = [7, 6, 5, 5, 5, 4, 3, 3, 3, 3, 2]
    assert found.retention == [n / 7 for n in expected]
    assert found.retention[0] == 1.0
    as_json = found.as_json()
    assert as_json["views"] == 7
    assert len(as_json["retention"]) == 11
    assert "followers" not in as_json


async def test_no_views_and_videos_of_unknown_length_give_zeros(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    quiet = await make_video(ada)
    found = await figures.figures(ada.id, 7, video=quiet.id)
    assert found.watching.views == 0
    assert found.viewers == 0
    assert found.retention == [0.0] * 11
    assert (found.watching.share_watched, found.watching.completion_rate) == (0.0, 0.0)
    assert found.sources == {}
    assert sum(n for _, n in found.daily) == 0
    unknown = await make_video(ada, duration_ms=0)
    await view(unknown, 4_000, session="s")
    found = await figures.figures(ada.id, 7, video=unknown.id)
    assert found.retention[0] == 1.0
    assert found.retention[1] == 0.0
    assert found.watching.share_watched == 0.0


async def test_video_lines_list_every_video_most_viewed_first(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    older, newer = await make_video(ada), await make_video(ada)
    viewed = await make_video(ada)
    failed = await make_video(ada, status="failed")
    await view(viewed, 3_000, viewer=bob, completed=True)
    await Like(viewer=bob.id, video=viewed.id).save()
    await Like(viewer=bob.id, video=older.id).save()
    lines, total = await figures.video_lines(ada.id, 30)
    assert total == 4
    assert [line.video["slug"] for line in lines] == [
        viewed.slug,
        failed.slug,
        newer.slug,
        older.slug,
    ]
    top = lines[0].as_json()
    assert (top["views"], top["likes"], top["completion_rate"]) == (1, 1, 1.0)
    assert lines[1].as_json()["status"] == "failed"
    assert lines[3].reactions.likes == 1
    # A page of two from the second: only those are read, with their own reactions.
    page, total = await figures.video_lines(ada.id, 30, first=1, count=2)
    assert [line.video["slug"] for line in page] == [failed.slug, newer.slug]
    assert total == 4
    assert all(line.reactions.likes == 0 for line in page)
    last, _ = await figures.video_lines(ada.id, 30, first=3, count=2)
    assert [(line.video["slug"], line.reactions.likes) for line in last] == [(older.slug, 1)]
    assert (await figures.video_lines(ada.id, 30, first=4, count=2)) == ([], 4)
