"""The comments JSON API: Bearer tokens or sessions with CSRF, errors that say what to do."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.comments.tables import Comment
from tests.comments.conftest import bearer, csrf_token, other_client, signed_in


@pytest.fixture(params=["bearer", "session"])
def how(request: pytest.FixtureRequest) -> str:
    """How the commenter authenticates: an API token or a browser session."""
    return str(request.param)


@pytest.fixture
async def video(make_user: Any, make_video: Any) -> Any:
    owner = await make_user("owner", role="creator")
    return await make_video(owner, "Knitting a scarf #knitting")


def api(video: Any) -> str:
    return f"/api/videos/{video.slug}/comments"


async def test_post_read_reply_edit_delete(
    nv_client: Any, make_user: Any, video: Any, how: str
) -> None:
    ada = await make_user("ada", display_name="Ada L.")
    await make_user("bob")
    headers = await signed_in(nv_client, ada, how)

    created = await nv_client.post(
        api(video), json={"text": "<b>hi</b> @bob #Yarn"}, headers=headers
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert created.headers["location"] == f"/api/comments/{doc['id']}"
    assert doc["text"] == "<b>hi</b> @bob #Yarn"
    assert doc["author"] == {"username": "ada", "display_name": "Ada L."}
    assert doc["mentions"] == ["bob"]
    assert doc["hashtags"] == ["yarn"]
    assert doc["video_id"] == video.slug
    assert doc["parent"] is None

    reply = await nv_client.post(
        api(video), json={"text": "me too", "reply_to": doc["id"]}, headers=headers
    )
    assert reply.status_code == 201
    assert reply.json()["parent"] == doc["id"]
    assert reply.json()["reply_to"] == "ada"

    listing = await nv_client.get(api(video))
    assert listing.status_code == 200
    page = listing.json()
    assert page["count"] == 2
    assert page["order"] == "newest"
    assert page["next_cursor"] is None
    [thread] = page["comments"]
    assert thread["reply_count"] == 1
    assert [r["text"] for r in thread["replies"]] == ["me too"]

    changed = await nv_client.patch(
        f"/api/comments/{doc['id']}", json={"text": "edited"}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.json()["text"] == "edited"
    assert changed.json()["edited_at"]

    deleted = await nv_client.delete(f"/api/comments/{doc['id']}", headers=headers)
    assert deleted.status_code == 204
    [head] = (await nv_client.get(api(video))).json()["comments"]
    assert head["deleted"] is True
    assert head["text"] == ""
    assert head["author"] is None
    replies = await nv_client.get(f"/api/comments/{doc['id']}/replies")
    assert [r["text"] for r in replies.json()["comments"]] == ["me too"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"text": ""}, 400, "empty"),
        ({"text": "   \n  "}, 400, "empty"),
        ({"text": "y" * 501}, 400, "at most 500"),
        ({"text": "hi", "reply_to": 999999}, 400, "does not exist"),
        ({"txt": "typo"}, 400, "txt"),
        ({"text": 5}, 400, "str"),
    ],
)
async def test_bad_bodies_are_refused_and_nothing_is_stored(
    nv_client: Any, make_user: Any, video: Any, body: dict[str, Any], status: int, says: str
) -> None:
    ada = await make_user("ada")
    response = await nv_client.post(api(video), json=body, headers=await bearer(ada))
    assert response.status_code == status
    assert says in response.text
    assert await Comment.count() == 0


async def test_replying_to_a_comment_of_another_video_is_a_bad_request(
    nv_client: Any, make_user: Any, make_video: Any, video: Any
) -> None:
    ada = await make_user("ada")
    headers = await bearer(ada)
    elsewhere = await make_video(ada, "elsewhere")
    other = (await nv_client.post(api(elsewhere), json={"text": "x"}, headers=headers)).json()
    response = await nv_client.post(
        api(video), json={"text": "hi", "reply_to": other["id"]}, headers=headers
    )
    assert response.status_code == 400
    assert "same video" in response.json()["detail"]
    assert await Comment.count().where(Comment.video == video.id) == 0


async def test_others_may_not_edit_or_delete(nv_client: Any, make_user: Any, video: Any) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    mod = await make_user("mod", role="moderator")
    doc = (
        await nv_client.post(api(video), json={"text": "mine"}, headers=await bearer(ada))
    ).json()
    url = f"/api/comments/{doc['id']}"
    bob_headers = await bearer(bob)
    edit = await nv_client.patch(url, json={"text": "hacked"}, headers=bob_headers)
    assert edit.status_code == 403
    assert "your own" in edit.json()["detail"]
    assert (await nv_client.delete(url, headers=bob_headers)).status_code == 403
    mod_edit = await nv_client.patch(url, json={"text": "nope"}, headers=await bearer(mod))
    assert mod_edit.status_code == 403
    assert (await nv_client.get(url)).json()["text"] == "mine"
    assert (await nv_client.delete(url, headers=await bearer(mod))).status_code == 204


@pytest.mark.parametrize(
    "fields",
    [{"visibility": "private"}, {"status": "processing"}, {"status": "removed"}],
)
async def test_hidden_videos_answer_404(
    nv_client: Any, make_user: Any, make_video: Any, fields: dict[str, str]
) -> None:
    owner = await make_user("owner", role="creator")
    hidden = await make_video(owner, "shh", **fields)
    headers = await bearer(owner)
    assert (await nv_client.get(api(hidden))).status_code == 404
    posted = await nv_client.post(api(hidden), json={"text": "hi"}, headers=headers)
    assert posted.status_code == 404
    assert "not visible" in posted.json()["detail"]
    assert (await nv_client.get("/api/videos/nosuchvideo/comments")).status_code == 404
    assert await Comment.count() == 0


async def test_comments_of_a_video_made_private_are_hidden(
    nv_client: Any, make_user: Any, video: Any
) -> None:
    ada = await make_user("ada")
    headers = await bearer(ada)
    doc = (await nv_client.post(api(video), json={"text": "hi"}, headers=headers)).json()
    video.visibility = "private"
    await video.save()
    url = f"/api/comments/{doc['id']}"
    assert (await nv_client.get(url)).status_code == 404
    assert (await nv_client.patch(url, json={"text": "x"}, headers=headers)).status_code == 404
    assert (await nv_client.delete(url, headers=headers)).status_code == 404
    assert await Comment.count() == 1


async def test_signed_out_and_csrf(nv_client: Any, make_user: Any, video: Any) -> None:
    ada = await make_user("ada")
    async with other_client(nv_client) as visitor:
        # A session without the CSRF header is refused before anything else.
        await signed_in(visitor, ada, "session")
        no_csrf = await visitor.post(api(video), json={"text": "forged"})
        assert no_csrf.status_code == 403
    async with other_client(nv_client, 50002) as stranger:
        csrf = {"x-csrftoken": await csrf_token(stranger)}
        signed_out = await stranger.post(api(video), json={"text": "hi"}, headers=csrf)
        assert signed_out.status_code == 401
        assert "Bearer" in signed_out.json()["detail"]
        wrong = await stranger.post(
            api(video), json={"text": "hi"}, headers={"Authorization": "Bearer nv_wrong"}
        )
        assert wrong.status_code == 401
    assert await Comment.count() == 0


async def test_order_cursor_and_limit_are_checked(nv_client: Any, video: Any) -> None:
    for query, says in [
        ("order=best", "newest or top"),
        ("cursor=abc", "cursor"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
    ]:
        response = await nv_client.get(f"{api(video)}?{query}")
        assert response.status_code == 400, query
        assert says in response.json()["detail"]


async def test_too_many_comments_answer_429(
    nv_client: Any, make_user: Any, video: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.comments import services

    monkeypatch.setattr(services, "POSTS_PER_MINUTE", 2)
    ada = await make_user("ada")
    headers = await bearer(ada)
    statuses = [
        (await nv_client.post(api(video), json={"text": f"n{i}"}, headers=headers)).status_code
        for i in range(4)
    ]
    # Two fit in a minute; if the minute turned meanwhile, a third may too.
    assert statuses[:2] == [201, 201]
    assert statuses[-1] == 429
    response = await nv_client.post(api(video), json={"text": "again"}, headers=headers)
    if response.status_code == 429:
        assert int(response.headers["retry-after"]) >= 1
        assert "a minute" in response.json()["detail"]


async def test_the_openapi_schema_describes_the_comments_api(nv_client: Any) -> None:
    schema = (await nv_client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert set(paths["/api/videos/{video_id}/comments"]) == {"get", "post"}
    assert {"patch", "delete", "get"} <= set(paths["/api/comments/{comment_id}"])
    for operation in (
        paths["/api/videos/{video_id}/comments"]["post"],
        paths["/api/comments/{comment_id}"]["patch"],
    ):
        assert operation["security"] == [{"BearerToken": []}]
        assert operation["tags"] == ["comments"]
    assert not any(path.startswith(("/v/", "/comments")) for path in paths)
