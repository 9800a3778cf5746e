"""Comment likes and the pinned comment: services, orders, pages, the API, bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.comments import queries, reactions, services
from nichevid.comments.services import CommentError
from nichevid.comments.tables import Comment, CommentLike
from nichevid.media.tables import Video
from nichevid.safety.blocks import block
from nichevid.social.tables import Notification
from tests.comments.conftest import bearer, csrf_token, login

HX = {"HX-Request": "true"}


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any, make_video: Any) -> dict[str, Any]:
    """A creator's video, two members and a comment of each member."""
    owner = await make_user("owner", role="creator")
    ada, bob = await make_user("ada"), await make_user("bob")
    video = await make_video(owner, "Casting on #knitting")
    return {
        "owner": owner,
        "ada": ada,
        "bob": bob,
        "video": video,
        "first": await services.post_comment(nv_resources, ada, video, "first by ada"),
        "second": await services.post_comment(nv_resources, bob, video, "second by bob"),
    }


async def like(resources: Any, user: Any, comment: Any, on: bool = True) -> reactions.LikeState:
    return await reactions.set_comment_like(user, int(comment.id), on, resources)


async def told(kind: str) -> list[tuple[int, int]]:
    rows = await Notification.select(Notification.recipient, Notification.actor).where(
        Notification.kind == kind
    )
    return [(row["recipient"], row["actor"]) for row in rows]


async def test_a_like_counts_once_and_tells_the_author_once(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    ada, bob, first = scene["ada"], scene["bob"], scene["first"]
    assert (await like(nv_resources, bob, first)).likes == 1
    state = await like(nv_resources, bob, first)
    assert (state.likes, state.liked) == (1, True)
    await like(nv_resources, scene["owner"], first)
    assert await CommentLike.count().where(CommentLike.comment == first.id) == 2
    # Unliking and liking again does not tell the author a second time.
    assert (await like(nv_resources, bob, first, False)).likes == 1
    assert (await like(nv_resources, bob, first, False)).likes == 1
    await like(nv_resources, bob, first)
    assert sorted(await told("comment_like")) == sorted(
        [(ada.id, bob.id), (ada.id, scene["owner"].id)]
    )
    # Liking one's own comment counts but tells nobody.
    await like(nv_resources, ada, first)
    assert (await queries.entry(first.id)).like_count == 3  # type: ignore[union-attr]
    assert len(await told("comment_like")) == 2


async def test_marks_say_what_the_reader_and_the_creator_liked(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    await like(nv_resources, scene["bob"], scene["first"])
    await like(nv_resources, scene["owner"], scene["second"])
    reply = await services.post_comment(
        nv_resources, scene["owner"], scene["video"], "thanks", reply_to=scene["first"].id
    )
    await like(nv_resources, scene["bob"], reply)
    page = await queries.threads(scene["video"].id)
    await reactions.marks(page.threads, scene["bob"].id, scene["owner"].id)
    by_id = {e.id: e for e in page.threads}
    for entry in page.threads:
        by_id.update({r.id: r for r in entry.replies})
    first, second = by_id[scene["first"].id], by_id[scene["second"].id]
    assert (first.liked, first.creator_liked, first.like_count) == (True, False, 1)
    assert (second.liked, second.creator_liked, second.like_count) == (False, True, 1)
    assert by_id[reply.id].liked
    # Signed out: only the creator's likes are marked.
    page = await queries.threads(scene["video"].id)
    await reactions.marks(page.threads, None, scene["owner"].id)
    assert [(e.liked, e.creator_liked) for e in page.threads] == [(False, True), (False, False)]


async def test_top_orders_by_likes_and_replies(nv_resources: Any, scene: dict[str, Any]) -> None:
    video, first, second = scene["video"], scene["first"], scene["second"]
    third = await services.post_comment(nv_resources, scene["owner"], video, "third")
    page = await queries.threads(video.id, order="top")
    assert [e.id for e in page.threads] == [third.id, second.id, first.id]
    await like(nv_resources, scene["bob"], first)
    await like(nv_resources, scene["ada"], first)
    await services.post_comment(nv_resources, scene["ada"], video, "re", reply_to=second.id)
    page = await queries.threads(video.id, order="top")
    assert [e.id for e in page.threads] == [first.id, second.id, third.id]


async def test_the_pinned_comment_heads_the_first_page_only(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    video, owner, first = scene["video"], scene["owner"], scene["first"]
    for n in range(3):
        await services.post_comment(nv_resources, scene["bob"], video, f"later {n}")
    await reactions.set_pin(owner, first.id, True, nv_resources)
    for order in queries.ORDERS:
        page = await queries.threads(video.id, order=order, limit=2)
        assert page.threads[0].id == first.id
        assert page.threads[0].pinned
        assert len(page.threads) == 3
        seen = [e.id for e in page.threads]
        while page.next_cursor:
            page = await queries.threads(
                video.id, order=order, limit=2, cursor=int(page.next_cursor)
            )
            seen += [e.id for e in page.threads]
        assert sorted(seen) == sorted(set(seen)), seen
        assert len(seen) == 5
    # Pinning another unpins the first; unpinning leaves none.
    await reactions.set_pin(owner, scene["second"].id, True, nv_resources)
    pinned = await Comment.select(Comment.id).where(Comment.pinned_at.is_not_null())
    assert pinned == [{"id": scene["second"].id}]
    await reactions.set_pin(owner, scene["second"].id, False, nv_resources)
    assert not await Comment.exists().where(Comment.pinned_at.is_not_null())


async def test_a_deleted_comment_loses_its_pin_and_its_likes(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    first = scene["first"]
    await services.post_comment(nv_resources, scene["bob"], scene["video"], "re", reply_to=first.id)
    await reactions.set_pin(scene["owner"], first.id, True, nv_resources)
    await like(nv_resources, scene["bob"], first)
    await services.delete_comment(scene["ada"], first.id, nv_resources)
    row = await Comment.select().where(Comment.id == first.id).first()
    assert row is not None
    assert row["deleted_at"] is not None
    assert row["pinned_at"] is None
    assert await CommentLike.count() == 0
    page = await queries.threads(scene["video"].id)
    assert [(e.id, e.deleted, e.pinned) for e in page.threads][-1] == (first.id, True, False)
    with pytest.raises(CommentError) as err:
        await like(nv_resources, scene["bob"], first)
    assert err.value.status == 404


async def test_refused_likes_and_pins_change_nothing(
    nv_resources: Any, scene: dict[str, Any], make_user: Any
) -> None:
    owner, ada, bob, first = scene["owner"], scene["ada"], scene["bob"], scene["first"]
    reply = await services.post_comment(nv_resources, bob, scene["video"], "re", reply_to=first.id)
    cases: list[tuple[Any, int, int, str]] = [
        (reactions.set_comment_like, bob.id, 987654, "no comment"),
        (reactions.set_pin, ada.id, first.id, "Only the video's creator"),
        (reactions.set_pin, owner.id, reply.id, "Replies cannot be pinned"),
        (reactions.set_pin, owner.id, 987654, "no comment"),
    ]
    users = {u.id: u for u in (owner, ada, bob)}
    for action, user_id, comment_id, message in cases:
        with pytest.raises(CommentError, match=message):
            await action(users[user_id], comment_id, True, nv_resources)
    # Across a block, and on a video that turned private, comments cannot be liked.
    await block(ada, bob)
    with pytest.raises(CommentError) as err:
        await like(nv_resources, bob, first)
    assert err.value.status == 404
    await Video.update({Video.visibility: "private"}).where(Video.id == scene["video"].id)
    carol = await make_user("carol")
    with pytest.raises(CommentError) as err:
        await like(nv_resources, carol, first)
    assert err.value.status == 404
    assert await CommentLike.count() == 0
    assert not await Comment.exists().where(Comment.pinned_at.is_not_null())


async def test_the_like_button_and_the_pin_through_htmx(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    video, first = scene["video"], scene["first"]
    # Signed out: the count shows, no button, and the fragment routes want a login.
    await like(nv_resources, scene["owner"], first)
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=HX)
    assert 'aria-label="1 like"' in panel.text
    assert "Liked by the creator" in panel.text
    assert 'hx-put="/comments/' not in panel.text
    response = await nv_client.put(f"/comments/{first.id}/like", headers=HX)
    assert response.status_code in (401, 403)

    response = await login(nv_client, "bob")
    headers = {**HX, "x-csrftoken": await csrf_token(nv_client)}
    response = await nv_client.put(f"/comments/{first.id}/like", headers=headers)
    assert response.status_code == 200, response.text
    assert 'aria-pressed="true"' in response.text
    assert f'hx-delete="/comments/{first.id}/like"' in response.text
    assert "Like this comment, 2 likes" in response.text
    response = await nv_client.delete(f"/comments/{first.id}/like", headers=headers)
    assert 'aria-pressed="false"' in response.text
    assert "1 like" in response.text
    # Without the CSRF header nothing changes.
    response = await nv_client.put(f"/comments/{first.id}/like", headers=HX)
    assert response.status_code == 403
    assert await CommentLike.count().where(CommentLike.viewer == scene["bob"].id) == 0
    # bob is not the creator: no pin button, and pinning is refused.
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=HX)
    assert f"/comments/{first.id}/pin" not in panel.text
    response = await nv_client.post(f"/comments/{first.id}/pin", headers=headers)
    assert response.status_code == 403
    assert "creator can pin its comments" in response.text

    await login(nv_client, "owner")
    headers = {**HX, "x-csrftoken": await csrf_token(nv_client)}
    panel = await nv_client.get(f"/v/{video.slug}/comments?order=top", headers=HX)
    assert f'hx-post="/comments/{first.id}/pin"' in panel.text
    response = await nv_client.post(
        f"/comments/{first.id}/pin", data={"order": "top"}, headers=headers
    )
    assert response.status_code == 200, response.text
    ids = [int(i) for i in re.findall(r'data-comment="(\d+)"', response.text)]
    assert ids[0] == first.id
    assert "Pinned by the creator" in response.text
    assert f'hx-post="/comments/{first.id}/unpin"' in response.text
    assert 'aria-current="true">Top<' in response.text
    # A browser without htmx is sent back to the comments.
    response = await nv_client.post(
        f"/comments/{first.id}/unpin", headers={"x-csrftoken": headers["x-csrftoken"]}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/v/{video.slug}/comments?order=newest#c-{first.id}"
    assert not await Comment.exists().where(Comment.pinned_at.is_not_null())
    response = await nv_client.post(
        f"/comments/{first.id}/pin", data={"order": "best"}, headers=headers
    )
    assert response.status_code == 400
    assert "order must be newest or top" in response.text


async def test_likes_and_pins_through_the_api(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    video, first, second = scene["video"], scene["first"], scene["second"]
    bob, owner = await bearer(scene["bob"]), await bearer(scene["owner"])
    response = await nv_client.put(f"/api/comments/{first.id}/like", headers=bob)
    assert response.json() == {"comment_id": first.id, "like_count": 1, "liked": True}
    response = await nv_client.put(f"/api/comments/{first.id}/like", headers=bob)
    assert response.json()["like_count"] == 1
    response = await nv_client.put(f"/api/comments/{second.id}/pin", headers=bob)
    assert response.status_code == 403
    response = await nv_client.put(f"/api/comments/{second.id}/pin", headers=owner)
    assert response.status_code == 200
    assert response.json()["pinned"] is True
    await nv_client.put(f"/api/comments/{second.id}/like", headers=owner)
    page = (await nv_client.get(f"/api/videos/{video.slug}/comments", headers=bob)).json()
    got = [
        (c["id"], c["pinned"], c["like_count"], c["liked"], c["creator_liked"])
        for c in page["comments"]
    ]
    assert got == [(second.id, True, 1, False, True), (first.id, False, 1, True, False)]
    response = await nv_client.delete(f"/api/comments/{first.id}/like", headers=bob)
    assert response.json() == {"comment_id": first.id, "like_count": 0, "liked": False}
    response = await nv_client.delete(f"/api/comments/{second.id}/pin", headers=owner)
    assert response.json()["pinned"] is False
    response = await nv_client.put("/api/comments/987654/like", headers=bob)
    assert response.status_code == 404
    assert "no comment with this id" in response.json()["detail"]
    wrong = {"Authorization": "Bearer nv_wrong"}
    response = await nv_client.put(f"/api/comments/{first.id}/like", headers=wrong)
    assert response.status_code == 401
    assert await CommentLike.count() == 1
