"""Block and mute: what each hides, where, and the refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.comments.services import CommentError, post_comment
from nichevid.comments.tables import Comment
from nichevid.plugins import answers
from nichevid.safety import services as safety
from nichevid.safety.tables import Block, Mute
from nichevid.social.tables import Follow
from nichevid.testing.exports import exported_file

from .conftest import bearer, browser


async def form(client: Any, user: Any) -> dict[str, str]:
    """Headers of a plain form post by ``user`` (a browser without htmx)."""
    headers = await browser(client, user)
    headers.pop("HX-Request")
    return headers


def slugs(html: str) -> set[str]:
    return set(re.findall(r'data-nv-slug="([^"]+)"', html)) | set(
        re.findall(r'href="/v/([A-Za-z0-9_-]+)"', html)
    )


async def test_a_block_hides_the_blocker_everywhere_and_ends_follows(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob", role="creator")
    video = await make_video(ada, caption="slab route #slab", hashtags=["slab"])
    theirs = await make_video(bob, caption="slab too #slab", hashtags=["slab"])
    bob_token = await bearer(bob)
    assert (await nv_client.put("/api/users/ada/follow", headers=bob_token)).status_code == 200
    assert (
        await nv_client.put("/api/users/bob/follow", headers=await bearer(ada))
    ).status_code == 200
    await Comment(video=video.id, author=ada.id, text="first!").save()
    # Before: bob sees all of ada's.
    for path in ("/u/ada", "/tag/slab", "/search?q=slab", "/following"):
        assert video.slug in slugs((await nv_client.get(path, headers=bob_token)).text), path

    response = await nv_client.post("/safety/block/bob", headers=await form(nv_client, ada))
    assert response.status_code == 303
    assert await Block.count() == 1
    assert await Follow.count() == 0  # both ways

    assert (await nv_client.get("/u/ada", headers=bob_token)).status_code == 404
    assert (await nv_client.get(f"/v/{video.slug}", headers=bob_token)).status_code == 404
    comments = await nv_client.get(f"/api/videos/{video.slug}/comments", headers=bob_token)
    assert comments.status_code == 404
    for path in ("/tag/slab", "/search?q=slab", "/following", "/"):
        html = (await nv_client.get(path, headers=bob_token)).text
        assert video.slug not in slugs(html), path
    assert theirs.slug in slugs((await nv_client.get("/tag/slab", headers=bob_token)).text)
    # The blocker does not see bob's either, and sees bob's profile with an Unblock button.
    ada_token = await bearer(ada)
    assert theirs.slug not in slugs((await nv_client.get("/tag/slab", headers=ada_token)).text)
    # Visitors are not affected.
    nv_client.cookies.clear()
    assert video.slug in slugs((await nv_client.get("/tag/slab")).text)


async def test_the_blocked_cannot_follow_comment_or_message(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    await safety.block(ada, bob)
    follow = await nv_client.put("/api/users/ada/follow", headers=await bearer(bob))
    assert follow.status_code == 403
    assert follow.json()["detail"] == "You cannot follow this member."
    back = await nv_client.put("/api/users/bob/follow", headers=await bearer(ada))
    assert back.status_code == 409
    assert "unblock them to follow" in back.json()["detail"]
    with pytest.raises(CommentError) as caught:
        await post_comment(nv_resources, bob, video, "hello")
    assert caught.value.status == 403
    assert "cannot comment" in caught.value.message
    posted = await nv_client.post(
        f"/api/videos/{video.slug}/comments", json={"text": "hi"}, headers=await bearer(bob)
    )
    assert posted.status_code == 404
    assert await Comment.count() == 0
    assert not await safety.may_message(bob, ada)
    assert not await safety.may_message(ada, bob)
    await safety.unblock(ada, bob)
    assert await safety.may_message(bob, ada)
    await post_comment(nv_resources, bob, video, "hello again")
    assert await Comment.count() == 1


async def test_blocking_yourself_or_twice_is_refused(nv_client: Any, make_user: Any) -> None:
    ada, _bob = await make_user("ada"), await make_user("bob")
    headers = await form(nv_client, ada)
    itself = await nv_client.post("/safety/block/ada", headers=headers)
    assert itself.status_code == 400
    assert "cannot block yourself" in itself.text
    assert (await nv_client.post("/safety/block/bob", headers=headers)).status_code == 303
    twice = await nv_client.post("/safety/block/bob", headers=headers)
    assert twice.status_code == 409
    assert "already block @bob" in twice.text
    assert await Block.count() == 1
    assert (await nv_client.post("/safety/mute/ada", headers=headers)).status_code == 400
    assert (await nv_client.post("/safety/mute/bob", headers=headers)).status_code == 303
    assert (await nv_client.post("/safety/mute/bob", headers=headers)).status_code == 409
    assert await Mute.count() == 1
    unknown = await nv_client.post("/safety/block/nobody_here", headers=headers)
    assert unknown.status_code == 404
    wrong = await nv_client.post("/safety/shun/bob", headers=headers)
    assert wrong.status_code == 404
    assert "block, unblock, mute or unmute" in wrong.text


async def test_blocking_needs_a_session_and_csrf(nv_client: Any, make_user: Any) -> None:
    await make_user("bob")
    assert (await nv_client.post("/safety/block/bob")).status_code in (401, 403)
    assert await Block.count() == 0


async def test_a_mute_hides_silently_and_is_undone_from_settings(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    carl = await make_user("carl")
    video = await make_video(ada, caption="slab route #slab", hashtags=["slab"])
    await Comment(video=video.id, author=carl.id, text="carl was here").save()
    await Comment(video=video.id, author=ada.id, text="ada answers").save()
    token = await bearer(bob)
    assert (await nv_client.put("/api/users/ada/follow", headers=token)).status_code == 200
    headers = await form(nv_client, bob)
    muted = await nv_client.post("/safety/mute/carl", headers=headers)
    assert muted.status_code == 303
    muted = await nv_client.post(
        "/safety/mute/ada", data={"next": "https://evil.example/"}, headers=headers
    )
    assert muted.headers["location"] == "/u/ada"  # never an open redirect
    assert await Follow.count() == 1  # a mute keeps the follow
    for path in ("/following", "/tag/slab", "/search?q=slab", "/"):
        assert video.slug not in slugs((await nv_client.get(path, headers=token)).text), path
    # Comments of muted members are hidden; the profile stays reachable to unmute.
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=token)
    assert "carl was here" not in panel.text
    profile = await nv_client.get("/u/ada", headers=headers)
    assert profile.status_code == 200
    assert 'action="/safety/unmute/ada"' in profile.text
    page = await nv_client.get("/settings/safety", headers={"accept": "text/html"})
    assert "@ada" in page.text
    assert "@carl" in page.text
    # Nobody else is affected; ada is not told.
    other = await bearer(carl)
    assert video.slug in slugs((await nv_client.get("/tag/slab", headers=other)).text)
    undo = await nv_client.post(
        "/safety/unmute/ada", data={"next": "/settings/safety"}, headers=headers
    )
    assert undo.headers["location"] == "/settings/safety"
    assert video.slug in slugs((await nv_client.get("/following", headers=token)).text)


async def test_hidden_from_lists_blocks_both_ways_and_mutes(make_user: Any) -> None:
    ada, bob, carl, dora = [await make_user(n) for n in ("ada", "bob", "carl", "dora")]
    await safety.block(ada, bob)
    await safety.block(carl, ada)
    await safety.mute(ada, dora)
    hidden = await safety.hidden_from(ada)
    assert hidden.blocked == {bob.id: "bob", carl.id: "carl"}
    assert hidden.muted == {dora.id: "dora"}
    assert (await safety.hidden_from(dora)).ids == frozenset()
    assert not await safety.hidden_from(None)


async def test_for_you_exclusions_of_blocked_and_muted_creators(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob, carl = (await make_user("ada"), await make_user("bob"), await make_user("carl"))
    videos = [await make_video(ada), await make_video(bob), await make_video(carl)]
    ids = [v.id for v in videos]
    await safety.block(bob, ada)
    await safety.mute(bob, carl)
    found = await answers(nv_resources.pm, "for_you_exclude", video_ids=ids, viewer=bob)
    assert {i for answer in found for i in answer} == {videos[0].id, videos[2].id}
    found = await answers(nv_resources.pm, "for_you_exclude", video_ids=ids, viewer=ada)
    assert {i for answer in found for i in answer} == {videos[1].id}
    # The order everybody shares is not cut by anyone's blocks.
    found = await answers(nv_resources.pm, "for_you_exclude", video_ids=ids, viewer=None)
    assert not {i for answer in found for i in answer}


async def test_deleting_a_member_leaves_no_safety_rows(make_user: Any) -> None:
    from nichevid.safety.tables import SafetyPrefs, ScreenTime
    from nichevid.safety.wellbeing import add_watched

    ada, bob = await make_user("ada"), await make_user("bob")
    await safety.block(ada, bob)
    await safety.mute(bob, ada)
    await safety.save_prefs(ada, safety.Prefs(who_may_comment="nobody"))
    await add_watched(ada.id, 5000)
    await add_watched(bob.id, 5000)
    await safety.delete_member(ada)
    assert await Block.count() == 0
    assert await Mute.count() == 0
    assert await SafetyPrefs.count() == 0
    assert await ScreenTime.select(ScreenTime.member) == [{"member": bob.id}]


@pytest.fixture
def shared_order(nv_settings_factory: Any) -> Any:
    """An instance whose For You is the order everybody shares (no personal batches)."""
    return nv_settings_factory(plugin={"recommend": {"personal": False}})


async def test_the_shared_for_you_leaves_out_what_one_member_hides(
    shared_order: Any, make_user: Any, make_video: Any
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for
    from tests.recommend.conftest import cursor_of

    ada, bob, dora = await make_user("ada"), await make_user("bob"), await make_user("dora")
    # Newest first: ada's oldest video is on the second page, her newest on the first.
    first = await make_video(ada)
    others = [await make_video(dora) for _ in range(5)]
    newest = await make_video(ada)
    await safety.mute(bob, ada)
    async with client_for(create_app(shared_order)) as client:
        dora_token, bob_token = await bearer(dora), await bearer(bob)
        home = (await client.get("/", headers=dora_token)).text
        assert newest.slug in slugs(home)
        cursor = cursor_of(home)
        assert cursor
        # Dora's request makes the render every member shares...
        page = (await client.get(f"/feed/next?cursor={cursor}", headers=dora_token)).text
        assert first.slug in slugs(page)
        # ...bob gets his own without ada's, and dora still gets the shared one.
        bob_home = (await client.get("/", headers=bob_token)).text
        assert newest.slug not in slugs(bob_home)
        assert {v.slug for v in others[1:]} <= slugs(bob_home)
        mine = await client.get(f"/feed/next?cursor={cursor}", headers=bob_token)
        assert first.slug not in slugs(mine.text)
        assert mine.headers["cache-control"] == "private, no-store"
        again = (await client.get(f"/feed/next?cursor={cursor}", headers=dora_token)).text
        assert first.slug in slugs(again)


async def test_mute_and_block_from_the_card_and_comment_menus(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    await Comment(video=video.id, author=ada.id, text="by ada").save()
    await Comment(video=video.id, author=bob.id, text="by bob").save()
    headers = await browser(nv_client, bob)
    card = (await nv_client.get(f"/v/{video.slug}", headers={"accept": "text/html"})).text
    assert 'hx-post="/safety/mute/ada"' in card
    assert 'hx-post="/safety/block/ada"' in card
    panel = (await nv_client.get(f"/v/{video.slug}/comments", headers=headers)).text
    # Others' comments offer both; one's own offers neither.
    assert 'action="/safety/mute/ada"' in panel
    assert 'action="/safety/block/ada"' in panel
    assert "/safety/mute/bob" not in panel
    done = await nv_client.post("/safety/mute/ada", headers=headers)
    assert done.status_code == 200
    assert "You mute @ada" in done.text
    assert 'role="status"' in done.text
    assert await Mute.count() == 1
    done = await nv_client.post("/safety/unmute/ada", headers=headers)
    assert "You no longer mute @ada" in done.text
    assert await Mute.count() == 0


async def test_the_export_and_the_erasure_cover_the_safety_tables(
    nv_resources: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    from datetime import timedelta

    from nichevid.privacy import deletion
    from nichevid.safety.tables import SafetyPrefs, ScreenTime
    from nichevid.safety.wellbeing import add_watched
    from tests.accounts.conftest import PASSWORD

    ada, bob = await make_user("ada"), await make_user("bob")
    await safety.block(ada, bob)
    await safety.mute(bob, ada)
    await safety.save_prefs(ada, safety.Prefs(who_may_comment="followers"))
    await add_watched(ada.id, 5000)
    mine = await exported_file(nv_resources, nv_run_jobs, ada, "safety.json")
    assert [b["username"] for b in mine["blocked"]] == ["bob"]
    # Who mutes them is not theirs to know.
    assert mine["muted"] == []
    assert mine["choices"]["who_may_comment"] == "followers"
    assert mine["watch_time_per_day"][0]["watched_ms"] == 5000
    state = await deletion.request_deletion(nv_resources, ada, PASSWORD)
    assert await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1)) == (
        1,
        0,
    )
    assert await Block.count() == 0
    assert await Mute.count() == 0
    assert await SafetyPrefs.count() == 0
    assert await ScreenTime.count().where(ScreenTime.member == ada.id) == 0
