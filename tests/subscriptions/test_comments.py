"""Comments on videos that are not public: open to the viewers who may watch the video,
refused (as "not found") to everyone else on every endpoint.

Cara's video "secret" is open to every tier; Bob subscribes (Fan), Ann does not, Dan
did until his period ended. Her followers-only video "circle" is open to Ann, who
follows her.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from nichevid.comments import services as comments
from nichevid.comments.services import CommentError
from nichevid.social.follows import set_follow
from nichevid.social.tables import Notification
from nichevid.testing.factories import ready_video
from nichevid_subscriptions.tables import Subscription
from tests.comments.conftest import bearer

from .conftest import subscribed

HX = {"HX-Request": "true"}


@pytest.fixture
async def scene(
    nv_resources: Any, make_user: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> dict[str, Any]:
    """Cara's subscribers-only and followers-only videos, a subscriber, a former one."""
    cara = people["cara"]
    dan = await make_user("dan")
    secret = await ready_video(cara, caption="secret knitting", visibility="subscribers")
    circle = await ready_video(cara, caption="for followers", visibility="followers")
    await subscribed(nv_resources, people["bob"], two_tiers["fan"])
    former = await subscribed(nv_resources, dan, two_tiers["fan"])
    await set_follow(people["ann"], cara, True)
    first = await comments.post_comment(nv_resources, people["bob"], secret, "first! @ann @dan")
    await Subscription.update({Subscription.access_until: int(time.time()) - 1}).where(
        Subscription.id == former.id
    )
    return {"secret": secret, "circle": circle, "dan": dan, "first": first}


def _endpoints(slug: str, comment_id: int) -> list[str]:
    """Every way to read a comment of a video."""
    return [
        f"/v/{slug}/comments",
        f"/comments/{comment_id}",
        f"/comments/{comment_id}/replies",
        f"/api/videos/{slug}/comments",
        f"/api/comments/{comment_id}",
        f"/api/comments/{comment_id}/replies",
    ]


async def test_subscribers_read_and_write_comments_with_their_badge(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], scene: dict[str, Any]
) -> None:
    slug, first = scene["secret"].slug, scene["first"]
    headers = await bearer(people["bob"])
    for path in _endpoints(slug, int(first.id)):
        answer = await nv_client.get(path, headers={**HX, **headers})
        assert answer.status_code == 200, (path, answer.text)
    panel = await nv_client.get(f"/v/{slug}/comments", headers={**HX, **headers})
    assert "first!" in panel.text
    assert '<span class="nv-sub-badge" title="Subscriber">Fan</span>' in panel.text
    posted = await nv_client.post(
        f"/api/videos/{slug}/comments",
        json={"text": "a reply", "reply_to": int(first.id)},
        headers=headers,
    )
    assert posted.status_code == 201, posted.text
    reply_id = posted.json()["id"]
    changed = await nv_client.patch(
        f"/api/comments/{reply_id}", json={"text": "a better reply"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    # The creator reads and answers on her own video.
    cara = await bearer(people["cara"])
    answer = await nv_client.post(
        f"/api/videos/{slug}/comments", json={"text": "thanks!"}, headers=cara
    )
    assert answer.status_code == 201, answer.text
    assert (await nv_client.delete(f"/api/comments/{reply_id}", headers=headers)).status_code in (
        200,
        204,
    )


async def test_others_are_refused_on_every_comments_endpoint(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], scene: dict[str, Any]
) -> None:
    slug, first = scene["secret"].slug, scene["first"]
    visitors: list[tuple[str, dict[str, str]]] = [
        ("signed out", {}),
        ("no subscription", await bearer(people["ann"])),
        ("former subscriber", await bearer(scene["dan"])),
    ]
    for who, headers in visitors:
        for path in _endpoints(slug, int(first.id)):
            answer = await nv_client.get(path, headers={**HX, **headers})
            assert answer.status_code == 404, (who, path, answer.status_code)
            assert "first!" not in answer.text
        if not headers:
            continue
        posted = await nv_client.post(
            f"/api/videos/{slug}/comments", json={"text": "let me in"}, headers=headers
        )
        assert posted.status_code == 404, (who, posted.text)
        for path in (f"/comments/{first.id}/reply", f"/comments/{first.id}/edit"):
            assert (await nv_client.get(path, headers=headers)).status_code == 404, (who, path)
        patched = await nv_client.patch(
            f"/api/comments/{first.id}", json={"text": "x"}, headers=headers
        )
        assert patched.status_code == 404, who
        deleted = await nv_client.delete(f"/api/comments/{first.id}", headers=headers)
        assert deleted.status_code == 404, who
    with pytest.raises(CommentError) as refused:
        await comments.post_comment(nv_resources, scene["dan"], scene["secret"], "still here?")
    assert refused.value.status == 404
    # Without plugins to ask, a gated video takes no comments at all.
    with pytest.raises(CommentError):
        await comments.commentable_video(slug)
    assert [c["text"] for c in await _texts(scene["secret"])] == ["first! @ann @dan"]


async def test_notifications_reach_only_members_who_may_watch(
    nv_resources: Any, people: dict[str, Any], scene: dict[str, Any]
) -> None:
    told = {
        int(row["recipient"]): row["kind"]
        for row in await Notification.select(Notification.recipient, Notification.kind).where(
            Notification.video == scene["secret"].id
        )
    }
    # Cara hears of the comment; Ann (no subscription) is not told of her mention, nor
    # Dan (whose access had not ended yet when Bob wrote: he was told).
    assert told[int(people["cara"].id)] == "comment"
    assert int(people["ann"].id) not in told
    assert told[int(scene["dan"].id)] == "mention"


async def test_former_subscribers_no_longer_read_the_comment_in_their_notifications(
    nv_client: Any, people: dict[str, Any], scene: dict[str, Any]
) -> None:
    # Cara may watch her video: she reads the comment in her notification.
    cara = await nv_client.get("/api/notifications", headers=await bearer(people["cara"]))
    assert "first!" in cara.json()["items"][0]["text"]
    # Dan was told while he subscribed; his access ended, and so did the excerpt.
    dan = await bearer(scene["dan"])
    listed = await nv_client.get("/api/notifications", headers=dan)
    [item] = listed.json()["items"]
    assert item["kind"] == "mention"
    assert item["text"] == ""
    page = await nv_client.get("/notifications", headers={"accept": "text/html", **dan})
    assert page.status_code == 200
    assert "first!" not in page.text


async def test_followers_comment_on_followers_only_videos(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], scene: dict[str, Any]
) -> None:
    circle = scene["circle"]
    ann = await bearer(people["ann"])
    posted = await nv_client.post(
        f"/api/videos/{circle.slug}/comments", json={"text": "hello circle"}, headers=ann
    )
    assert posted.status_code == 201, posted.text
    listed = await nv_client.get(f"/api/videos/{circle.slug}/comments", headers=ann)
    assert [c["text"] for c in listed.json()["comments"]] == ["hello circle"]
    bob = await bearer(people["bob"])
    for path in _endpoints(circle.slug, posted.json()["id"]):
        assert (await nv_client.get(path, headers={**HX, **bob})).status_code == 404, path
    await set_follow(people["ann"], people["cara"], False)
    gone = await nv_client.get(f"/api/videos/{circle.slug}/comments", headers=ann)
    assert gone.status_code == 404


async def _texts(video: Any) -> list[dict[str, Any]]:
    from nichevid.comments.tables import Comment

    return list(await Comment.select(Comment.text).where(Comment.video == video.id))
