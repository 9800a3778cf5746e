"""Comment controls on one's own videos: who may comment, refused words, hidden like counts."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.comments.services import CommentError, post_comment
from nichevid.comments.tables import Comment
from nichevid.safety import prefs as prefs_module
from nichevid.safety import services as safety
from nichevid.safety.tables import SafetyPrefs

from .conftest import bearer, browser

HTML = {"accept": "text/html"}


async def save(client: Any, user: Any, **fields: str) -> Any:
    """Sign ``user`` in on ``client`` and send the settings form with ``fields``."""
    headers = await browser(client, user)
    headers.pop("HX-Request")
    form = {"who_may_comment": "everyone", "break_on": "1", "limit_on": "1", **fields}
    return await client.post("/settings/safety", data=form, headers={**headers, **HTML})


async def test_followers_only_and_nobody(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    assert (await save(nv_client, ada, who_may_comment="followers")).status_code == 303
    refused = await nv_client.post(
        f"/api/videos/{video.slug}/comments", json={"text": "hi"}, headers=await bearer(bob)
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Only followers of the creator may comment; follow them to comment."
    )
    assert await Comment.count() == 0
    await nv_client.put("/api/users/ada/follow", headers=await bearer(bob))
    await post_comment(nv_resources, bob, video, "now I follow")
    # The creator always may; "nobody" shuts everyone else out.
    await safety.save_prefs(ada, safety.Prefs(who_may_comment="nobody"))
    await post_comment(nv_resources, ada, video, "my own video")
    with pytest.raises(CommentError) as caught:
        await post_comment(nv_resources, bob, video, "still here")
    assert caught.value.status == 403
    assert "turned comments off" in caught.value.message
    assert await Comment.count() == 2


async def test_refused_words_refuse_the_comment_and_name_the_word(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    response = await save(nv_client, ada, comment_keywords="Spoiler\n\n  ugly  duck \nspoiler\n")
    assert response.status_code == 303
    assert (await safety.prefs_of(ada)).comment_keywords == ["Spoiler", "ugly duck"]
    for text in ("SPOILER: the end", "what an ugly\nduck"):
        with pytest.raises(CommentError) as caught:
            await post_comment(nv_resources, bob, video, text)
        assert caught.value.status == 400
        assert "does not accept comments containing" in caught.value.message
    # Whole words only: "spoilers" and "duckling" are other words.
    await post_comment(nv_resources, bob, video, "no spoilers, cute duckling")
    assert await Comment.count() == 1
    # The form keeps what was typed and says why.
    nv_client.cookies.clear()
    headers = await browser(nv_client, bob)
    form = await nv_client.post(
        f"/v/{video.slug}/comments", data={"text": "big spoiler"}, headers=headers
    )
    assert form.status_code == 400
    assert "reword your comment" in form.text
    assert "big spoiler" in form.text


@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ("x" * (prefs_module.KEYWORD_MAX_LENGTH + 1), "is too long"),
        ("fine\n!!!\n", "has no letters or digits"),
        ("\n".join(f"w{i}" for i in range(prefs_module.KEYWORDS_MAX + 1)), "keep it to 50"),
    ],
)
async def test_bad_keyword_lists_are_refused_and_nothing_changes(
    nv_client: Any, make_user: Any, keywords: str, expected: str
) -> None:
    ada = await make_user("ada")
    await safety.save_prefs(ada, safety.Prefs(comment_keywords=["kept"]))
    response = await save(nv_client, ada, comment_keywords=keywords)
    assert response.status_code == 400
    assert expected in response.text
    assert 'role="alert"' in response.text
    assert (await safety.prefs_of(ada)).comment_keywords == ["kept"]


async def test_empty_keyword_entries_are_left_out(nv_client: Any, make_user: Any) -> None:
    ada = await make_user("ada")
    assert (await save(nv_client, ada, comment_keywords="\n  \n,, ,\n")).status_code == 303
    assert (await safety.prefs_of(ada)).comment_keywords == []


async def test_an_unknown_choice_of_who_may_comment_is_refused(
    nv_client: Any, make_user: Any
) -> None:
    response = await save(nv_client, await make_user("ada"), who_may_comment="friends")
    assert response.status_code == 400
    assert "everyone, your followers or nobody" in response.text
    assert await SafetyPrefs.count() == 0


def like_button(html: str) -> str:
    start = html.index("nv-action--like")
    return html[start : html.index("</button>", start)]


async def test_hidden_like_counts(nv_client: Any, make_user: Any, make_video: Any) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    token = await bearer(bob)
    liked = await nv_client.put(
        f"/social/videos/{video.slug}/like", headers={**(await browser(nv_client, bob))}
    )
    assert "nv-action-count" in like_button(liked.text)
    page = (await nv_client.get(f"/v/{video.slug}", headers=token)).text
    assert "nv-action-count" in like_button(page)
    await safety.save_prefs(ada, safety.Prefs(hide_like_counts=True))
    page = (await nv_client.get(f"/v/{video.slug}", headers=token)).text
    assert "nv-action-count" not in like_button(page)
    assert "1 like" not in like_button(page)
    again = await nv_client.delete(
        f"/social/videos/{video.slug}/like", headers={**(await browser(nv_client, bob))}
    )
    assert again.status_code == 200
    assert "nv-action-count" not in again.text
    assert "likes" not in again.text


def comment_form_shown(html: str) -> bool:
    return 'class="nv-comment-form"' in html


async def test_the_panel_says_why_in_place_of_the_form(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    await nv_client.post(
        f"/api/videos/{video.slug}/comments", json={"text": "first"}, headers=await bearer(ada)
    )
    [comment] = await Comment.select(Comment.id)
    await safety.save_prefs(ada, safety.Prefs(who_may_comment="followers"))
    headers = await browser(nv_client, bob)
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=headers)
    assert panel.status_code == 200
    assert "Only followers of the creator may comment" in panel.text
    assert not comment_form_shown(panel.text)
    assert f"/comments/{comment['id']}/reply" not in panel.text
    reply = await nv_client.get(f"/comments/{comment['id']}/reply", headers=headers)
    assert reply.status_code == 403
    # Following opens the form again.
    await nv_client.put("/api/users/ada/follow", headers=await bearer(bob))
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=headers)
    assert comment_form_shown(panel.text)
    assert (await nv_client.get(f"/comments/{comment['id']}/reply", headers=headers)).is_success
    # "Nobody": visitors read why, with no form; the creator keeps theirs.
    await safety.save_prefs(ada, safety.Prefs(who_may_comment="nobody"))
    nv_client.cookies.clear()
    visitor = await nv_client.get(f"/v/{video.slug}/comments", headers={"HX-Request": "true"})
    assert "The creator turned comments off" in visitor.text
    assert not comment_form_shown(visitor.text)
    own = await nv_client.get(f"/v/{video.slug}/comments", headers=await browser(nv_client, ada))
    assert comment_form_shown(own.text)


async def test_refused_words_also_hide_comments_written_before(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    carol = await make_user("carol")
    video = await make_video(ada)
    await post_comment(nv_resources, bob, video, "the spoiler is at the end")
    head = await post_comment(nv_resources, carol, video, "what a climb")
    await post_comment(nv_resources, bob, video, "SPOILER indeed", reply_to=int(head.id))
    await post_comment(nv_resources, ada, video, "nice", reply_to=int(head.id))
    await safety.save_prefs(ada, safety.Prefs(comment_keywords=["spoiler"]))

    async def texts(user: Any) -> list[str]:
        listed = await nv_client.get(
            f"/api/videos/{video.slug}/comments", headers=await bearer(user)
        )
        assert listed.status_code == 200
        found = []
        for item in listed.json()["comments"]:
            found.append(item["text"])
            replies = await nv_client.get(
                f"/api/comments/{item['id']}/replies", headers=await bearer(user)
            )
            found += [reply["text"] for reply in replies.json()["comments"]]
        return sorted(found)

    assert await texts(ada) == ["nice", "what a climb"]
    assert await texts(carol) == ["nice", "what a climb"]
    # Authors still see their own; nothing was deleted.
    assert await texts(bob) == [
        "SPOILER indeed",
        "nice",
        "the spoiler is at the end",
        "what a climb",
    ]
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=await browser(nv_client, ada))
    assert "what a climb" in panel.text
    assert "spoiler" not in panel.text.lower()
    assert await Comment.count() == 4
    await safety.save_prefs(ada, safety.Prefs(comment_keywords=[]))
    assert await texts(ada) == [
        "SPOILER indeed",
        "nice",
        "the spoiler is at the end",
        "what a climb",
    ]


async def test_hidden_like_counts_stay_hidden_in_the_api_and_on_the_profile(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)
    token = await bearer(bob)
    liked = await nv_client.put(f"/api/videos/{video.slug}/like", headers=token)
    assert liked.json()["likes"] == 1
    assert (await nv_client.get("/api/users/ada/social", headers=token)).json()["likes"] == 1
    profile = (await nv_client.get("/u/ada", headers=token)).text
    assert "nv-grid-likes" in profile
    assert "</strong> Like" in profile
    await safety.save_prefs(ada, safety.Prefs(hide_like_counts=True))
    social = await nv_client.get(f"/api/videos/{video.slug}/social", headers=token)
    assert social.status_code == 200
    assert social.json()["likes"] is None
    assert social.json()["liked"] is True
    again = await nv_client.put(f"/api/videos/{video.slug}/like", headers=token)
    assert again.json()["likes"] is None
    assert (await nv_client.get("/api/users/ada/social", headers=token)).json()["likes"] is None
    profile = (await nv_client.get("/u/ada", headers=token)).text
    assert "nv-grid-likes" not in profile
    assert "</strong> Like" not in profile
