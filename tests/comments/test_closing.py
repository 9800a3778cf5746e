"""Creators close the comments of one video: what stays, what is refused, the form's box."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.comments import closing, reactions, services
from nichevid.comments.services import CommentError
from nichevid.comments.tables import Comment, CommentsClosed
from tests.accounts.conftest import csrf_token, login, post_form
from tests.playlists.test_video_form import upload

from .conftest import bearer

HTML = {"accept": "text/html"}
HX = {"hx-request": "true"}
SAYS = "The creator closed the comments on this video."


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any, make_video: Any) -> dict[str, Any]:
    owner = await make_user("owner", role="creator")
    ada = await make_user("ada")
    video = await make_video(owner, "Knitting a scarf")
    before = await services.post_comment(nv_resources, ada, video, "lovely colours")
    return {"owner": owner, "ada": ada, "video": video, "before": before}


async def test_a_closed_video_keeps_its_comments_and_takes_no_new_ones(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    video, ada, owner, before = scene["video"], scene["ada"], scene["owner"], scene["before"]
    await closing.CLOSED.mark(int(video.id), True)
    for who, text, reply_to in (
        (ada, "more", None),
        (owner, "me too", None),
        (ada, "re", before.id),
    ):
        with pytest.raises(CommentError, match=SAYS) as refused:
            await services.post_comment(nv_resources, who, video, text, reply_to=reply_to)
        assert refused.value.status == 403
    assert [c.text for c in await Comment.objects()] == ["lovely colours"]
    # The panel lists what is there and says why there is no form.
    await login(nv_client, "ada")
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=HTML)
    assert "lovely colours" in panel.text
    assert SAYS in panel.text
    assert 'name="text"' not in panel.text
    sent = await nv_client.post(
        f"/v/{video.slug}/comments",
        data={"text": "sneaky"},
        headers={**HX, "x-csrftoken": await csrf_token(nv_client)},
    )
    assert sent.status_code == 403
    api = await nv_client.post(
        f"/api/videos/{video.slug}/comments", json={"text": "via api"}, headers=await bearer(ada)
    )
    assert api.status_code == 403
    assert SAYS in api.text
    assert await Comment.count() == 1
    # What was written may still be liked, edited and deleted by its author.
    liked = await reactions.set_comment_like(owner, int(before.id), True, nv_resources)
    assert (liked.likes, liked.liked) == (1, True)
    await services.edit_comment(ada, int(before.id), "lovely colours!")
    await services.delete_comment(ada, int(before.id))
    assert await Comment.count() == 0
    # Opened again, comments come in.
    await closing.CLOSED.mark(int(video.id), False)
    await services.post_comment(nv_resources, ada, video, "back again")
    assert await Comment.count() == 1


async def test_the_edit_form_closes_and_opens_them(nv_client: Any, scene: dict[str, Any]) -> None:
    video = scene["video"]
    await login(nv_client, "owner")
    url = f"/upload/edit/{video.slug}"
    page = (await nv_client.get(url, headers=HTML)).text
    assert 'name="comments_shown"' in page
    assert "Close comments on this video" in page
    fields = {"caption": "Knitting a scarf", "visibility": "public", "comments_shown": "1"}
    closed = await post_form(nv_client, url, {**fields, "comments_closed": "1"})
    assert closed.status_code == 303, closed.text
    assert await closing.CLOSED.marked(int(video.id))
    assert (
        'name="comments_closed" value="1" checked' in (await nv_client.get(url, headers=HTML)).text
    )
    bad = await post_form(nv_client, url, {**fields, "comments_closed": "sometimes"})
    assert bad.status_code == 400
    assert "Say 1 to close the comments of the video, or 0 to keep them open." in bad.text
    assert await closing.CLOSED.marked(int(video.id))
    opened = await post_form(nv_client, url, fields)
    assert opened.status_code == 303
    assert await CommentsClosed.count() == 0


async def test_an_upload_can_start_with_its_comments_closed(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    from nichevid.media.tables import Video

    sent = await upload(nv_client, scene["owner"], caption="quiet", comments_closed="1")
    assert sent.status_code == 201, sent.text
    video = await Video.objects().where(Video.caption == "quiet").first()
    assert video is not None
    assert await closing.CLOSED.marked(int(video.id))
    refused = await upload(nv_client, scene["owner"], caption="bad", comments_closed="2")
    assert refused.status_code == 400
    assert await Video.count().where(Video.caption == "bad") == 0
