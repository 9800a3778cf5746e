"""Comment services without HTTP: threads, permissions, deletion, counts, orders, limits."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.comments import queries, services
from nichevid.comments.services import CommentError
from nichevid.comments.tables import Comment
from nichevid.social.tables import Notification


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any, make_video: Any) -> dict[str, Any]:
    """A creator's video, two members and a moderator."""
    owner = await make_user("owner", role="creator")
    return {
        "owner": owner,
        "ada": await make_user("ada"),
        "bob": await make_user("bob"),
        "mod": await make_user("mod", role="moderator"),
        "video": await make_video(owner, "Knitting a scarf #knitting"),
    }


async def post(resources: Any, user: Any, video: Any, body: str, **kw: Any) -> Comment:
    return await services.post_comment(resources, user, video, body, **kw)


async def test_a_comment_is_stored_as_plain_text_with_its_mentions(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    body = "<script>alert(1)</script> nice @Bob @ghost #Yarn"
    comment = await post(nv_resources, scene["ada"], scene["video"], body)
    row = await Comment.objects().where(Comment.id == comment.id).first()
    assert row.text == body
    assert services.json_list(row.mentions) == ["bob"]
    assert services.json_list(row.hashtags) == ["yarn"]
    assert row.parent is None
    assert row.reply_to is None


async def test_replies_join_the_top_level_thread(nv_resources: Any, scene: dict[str, Any]) -> None:
    video = scene["video"]
    top = await post(nv_resources, scene["ada"], video, "first")
    reply = await post(nv_resources, scene["bob"], video, "answer", reply_to=top.id)
    deeper = await post(
        nv_resources, scene["ada"], video, "answer to the answer", reply_to=reply.id
    )
    assert reply.parent == top.id
    assert reply.reply_to == scene["ada"].id
    assert deeper.parent == top.id
    assert deeper.reply_to == scene["bob"].id
    thread = await queries.thread(top.id)
    assert thread is not None
    assert [r.id for r in thread.replies] == [reply.id, deeper.id]
    assert thread.replies[1].reply_to == "bob"


async def test_replies_to_comments_elsewhere_or_gone_are_refused(
    nv_resources: Any, scene: dict[str, Any], make_video: Any
) -> None:
    elsewhere = await make_video(scene["owner"], "another video")
    other = await post(nv_resources, scene["ada"], elsewhere, "over there")
    with pytest.raises(CommentError, match="same video") as err:
        await post(nv_resources, scene["bob"], scene["video"], "hi", reply_to=other.id)
    assert err.value.status == 400
    with pytest.raises(CommentError, match="does not exist") as err:
        await post(nv_resources, scene["bob"], scene["video"], "hi", reply_to=987654)
    assert err.value.status == 400
    assert await Comment.count().where(Comment.video == scene["video"].id) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"visibility": "private"},
        {"status": "processing"},
        {"status": "removed"},
        {"status": "failed"},
    ],
)
async def test_hidden_or_unready_videos_take_no_comments(
    nv_resources: Any, scene: dict[str, Any], make_video: Any, fields: dict[str, str]
) -> None:
    video = await make_video(scene["owner"], "not open", **fields)
    with pytest.raises(CommentError) as err:
        await services.commentable_video(video.slug)
    assert err.value.status == 404
    with pytest.raises(CommentError) as err:
        await post(nv_resources, scene["owner"], video, "my own video")
    assert err.value.status == 404
    assert await Comment.count() == 0


async def test_followers_only_videos_take_comments_of_those_who_may_watch(
    nv_resources: Any, scene: dict[str, Any], make_video: Any
) -> None:
    video = await make_video(scene["owner"], "for followers", visibility="followers")
    with pytest.raises(CommentError) as err:
        await services.commentable_video(video.slug, nv_resources, scene["bob"])
    assert err.value.status == 404
    with pytest.raises(CommentError) as err:
        await post(nv_resources, scene["bob"], video, "let me in")
    assert err.value.status == 404
    await post(nv_resources, scene["owner"], video, "my own video")
    assert await Comment.count() == 1


@pytest.mark.parametrize("body", ["", "   ", "\n\t", "x" * 501])
async def test_bad_text_stores_nothing(nv_resources: Any, scene: dict[str, Any], body: str) -> None:
    with pytest.raises(CommentError) as err:
        await post(nv_resources, scene["ada"], scene["video"], body)
    assert err.value.status == 400
    assert await Comment.count() == 0


async def test_authors_edit_their_own_comments_only(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    comment = await post(nv_resources, scene["ada"], scene["video"], "frist")
    edited = await services.edit_comment(scene["ada"], comment.id, "first, @bob")
    row = await Comment.objects().where(Comment.id == comment.id).first()
    assert row.text == "first, @bob"
    assert row.edited_at is not None
    assert services.json_list(row.mentions) == ["bob"] == services.json_list(edited.mentions)

    for who in ("bob", "mod", "owner"):
        with pytest.raises(CommentError, match="your own") as err:
            await services.edit_comment(scene[who], comment.id, "hijacked")
        assert err.value.status == 403
    with pytest.raises(CommentError) as err:
        await services.edit_comment(scene["ada"], comment.id, "  ")
    assert err.value.status == 400
    row = await Comment.objects().where(Comment.id == comment.id).first()
    assert row.text == "first, @bob"


async def test_deleting_without_replies_removes_the_comment(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    comment = await post(nv_resources, scene["ada"], scene["video"], "oops")
    with pytest.raises(CommentError) as err:
        await services.delete_comment(scene["bob"], comment.id)
    assert err.value.status == 403
    await services.delete_comment(scene["ada"], comment.id)
    assert await Comment.count() == 0
    with pytest.raises(CommentError) as err:
        await services.delete_comment(scene["ada"], comment.id)
    assert err.value.status == 404


async def test_a_deleted_comment_with_replies_stays_as_a_placeholder(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    video = scene["video"]
    top = await post(nv_resources, scene["ada"], video, "secret plans @bob")
    reply = await post(nv_resources, scene["bob"], video, "what plans?", reply_to=top.id)
    await services.delete_comment(scene["ada"], top.id)
    row = await Comment.objects().where(Comment.id == top.id).first()
    assert row.deleted_at is not None
    assert row.text == ""
    page = await queries.threads(video.id)
    assert page.count == 1
    [head] = page.threads
    assert head.deleted
    assert head.text == ""
    assert head.username == ""
    assert [r.id for r in head.replies] == [reply.id]
    with pytest.raises(CommentError) as err:
        await services.edit_comment(scene["ada"], top.id, "back")
    assert err.value.status == 404
    with pytest.raises(CommentError, match="does not exist"):
        await post(nv_resources, scene["bob"], video, "to a ghost", reply_to=top.id)
    # The moderator removes the last reply: the placeholder goes with it.
    await services.delete_comment(scene["mod"], reply.id)
    assert await Comment.count() == 0
    assert (await queries.threads(video.id)).threads == []


async def test_moderators_and_admins_delete_any_comment(
    nv_resources: Any, scene: dict[str, Any], make_user: Any
) -> None:
    admin = await make_user("boss", role="admin")
    first = await post(nv_resources, scene["ada"], scene["video"], "one")
    second = await post(nv_resources, scene["bob"], scene["video"], "two")
    with pytest.raises(CommentError):
        await services.delete_comment(scene["owner"], first.id)  # creators are members here
    await services.delete_comment(scene["mod"], first.id)
    await services.delete_comment(admin, second.id)
    assert await Comment.count() == 0


async def test_counts_orders_and_pages(
    nv_resources: Any, scene: dict[str, Any], make_video: Any
) -> None:
    video, ada, bob = scene["video"], scene["ada"], scene["bob"]
    quiet = await make_video(scene["owner"], "nobody talks here")
    made = [await post(nv_resources, ada, video, f"comment {i}") for i in range(5)]
    for _ in range(3):
        await post(nv_resources, bob, video, "reply", reply_to=made[1].id)
    await post(nv_resources, bob, video, "reply", reply_to=made[3].id)
    gone = await post(nv_resources, bob, video, "gone soon")
    await services.delete_comment(bob, gone.id)

    assert await queries.comment_counts([video.id, quiet.id]) == {video.id: 9, quiet.id: 0}

    newest = await queries.threads(video.id, limit=2)
    assert [t.id for t in newest.threads] == [made[4].id, made[3].id]
    assert newest.count == 9
    following = await queries.threads(video.id, limit=2, cursor=int(newest.next_cursor or 0))
    assert [t.id for t in following.threads] == [made[2].id, made[1].id]
    last = await queries.threads(video.id, limit=2, cursor=int(following.next_cursor or 0))
    assert [t.id for t in last.threads] == [made[0].id]
    assert last.next_cursor is None

    top = await queries.threads(video.id, order="top", limit=3)
    assert [t.id for t in top.threads] == [made[1].id, made[3].id, made[4].id]
    assert [t.reply_count for t in top.threads] == [3, 1, 0]
    rest = await queries.threads(video.id, order="top", limit=3, cursor=int(top.next_cursor or 0))
    assert [t.id for t in rest.threads] == [made[2].id, made[0].id]


async def test_only_the_first_replies_come_with_a_thread(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    video = scene["video"]
    top = await post(nv_resources, scene["ada"], video, "ask me anything")
    replies = [
        await post(nv_resources, scene["bob"], video, f"q{i}", reply_to=top.id) for i in range(5)
    ]
    [head] = (await queries.threads(video.id)).threads
    assert [r.id for r in head.replies] == [r.id for r in replies[: queries.REPLIES_SHOWN]]
    assert head.hidden_replies == 5 - queries.REPLIES_SHOWN
    more = await queries.replies_of([top.id], after=head.replies[-1].id, limit=50)
    assert [r.id for r in more] == [r.id for r in replies[queries.REPLIES_SHOWN :]]


async def test_posting_is_rate_limited_per_user(
    nv_resources: Any, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as real_time

    from nichevid.core import ratelimit

    # The limiter's clock stands still inside one window, so the posts cannot straddle two.
    clock = {"now": (real_time.time() // 60) * 60 + 1}

    class Clock:
        @staticmethod
        def time() -> float:
            return clock["now"]

    monkeypatch.setattr(ratelimit, "time", Clock)
    video = scene["video"]
    for i in range(services.POSTS_PER_MINUTE):
        await post(nv_resources, scene["ada"], video, f"spam {i}")
    with pytest.raises(CommentError, match="a minute") as err:
        await post(nv_resources, scene["ada"], video, "one more")
    assert err.value.status == 429
    assert err.value.retry_after >= 1
    # Someone else may still post, and so may the same user in the next window.
    await post(nv_resources, scene["bob"], video, "hello")
    clock["now"] += 61
    await post(nv_resources, scene["ada"], video, "later")
    assert await Comment.count() == services.POSTS_PER_MINUTE + 2


async def notifications() -> list[tuple[int, str, int]]:
    rows = await Notification.select(
        Notification.recipient, Notification.kind, Notification.actor
    ).order_by(Notification.id)
    return [(r["recipient"], r["kind"], r["actor"]) for r in rows]


async def test_owner_replied_and_mentioned_people_are_notified_never_the_author(
    nv_resources: Any, scene: dict[str, Any]
) -> None:
    owner, ada, bob, mod = scene["owner"], scene["ada"], scene["bob"], scene["mod"]
    video = scene["video"]
    top = await post(nv_resources, ada, video, "hi @owner @ada @mod")
    assert await notifications() == [
        (owner.id, "comment", ada.id),
        (mod.id, "mention", ada.id),
    ]
    await post(nv_resources, bob, video, "@ada agreed", reply_to=top.id)
    assert (await notifications())[2:] == [
        (ada.id, "reply", bob.id),
        (owner.id, "comment", bob.id),
    ]
    # The owner answering on their own video tells only the one answered.
    await post(nv_resources, owner, video, "thanks", reply_to=top.id)
    assert (await notifications())[4:] == [(ada.id, "reply", owner.id)]


async def test_hook_comment_accept(nv_resources: Any, scene: dict[str, Any]) -> None:
    from nichevid.plugins import hookimpl

    asked: list[tuple[str, str, str]] = []

    class NoShouting:
        @hookimpl
        async def comment_accept(
            self, user: Any, video: Any, text: str, resources: Any
        ) -> str | None:
            assert resources is nv_resources
            asked.append((user.username, video.slug, text))
            return "Please do not shout; write in lower case." if text.isupper() else None

    nv_resources.pm.register(NoShouting())
    with pytest.raises(CommentError, match="do not shout") as refused:
        await post(nv_resources, scene["ada"], scene["video"], "HELLO")
    assert refused.value.status == 403
    assert await Comment.count() == 0
    await post(nv_resources, scene["ada"], scene["video"], "hello")
    assert await Comment.count() == 1
    assert asked == [("ada", scene["video"].slug, "HELLO"), ("ada", scene["video"].slug, "hello")]
