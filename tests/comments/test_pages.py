"""Comment pages and htmx fragments: escaping, forms, CSRF, sign-in, the card button."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from nichevid.comments import services
from nichevid.comments.tables import Comment
from nichevid.plugins import hookimpl
from tests.comments.conftest import csrf_token, login, other_client

HX = {"HX-Request": "true"}
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any, make_video: Any) -> dict[str, Any]:
    owner = await make_user("owner", role="creator")
    return {
        "owner": owner,
        "ada": await make_user("ada", display_name="Ada <Lovelace>"),
        "bob": await make_user("bob"),
        "video": await make_video(owner, "Knitting a scarf #knitting"),
    }


async def session_headers(client: Any, user: Any) -> dict[str, str]:
    response = await login(client, user.username)
    assert response.status_code == 303
    return {**HX, "x-csrftoken": await csrf_token(client)}


def comment_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-comment="(\d+)"', html)]


async def test_comments_are_rendered_escaped_with_links(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    video = scene["video"]
    await services.post_comment(
        nv_resources, scene["ada"], video, f"{SCRIPT} hello @bob @nobody #Yarn\nsecond line"
    )
    for headers in (HX, {"accept": "text/html"}):
        response = await nv_client.get(f"/v/{video.slug}/comments", headers=headers)
        assert response.status_code == 200
        html = response.text
        assert SCRIPT not in html
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert '<a class="nv-mention" href="/u/bob">@bob</a>' in html
        assert "@nobody" in html
        assert 'href="/u/nobody"' not in html
        assert '<a class="nv-hashtag" href="/tag/yarn">#Yarn</a>' in html
        assert "Ada &lt;Lovelace&gt;" in html
        assert f'<span data-comment-count="{video.slug}">1</span> comment<' in html
    assert "<html" not in (await nv_client.get(f"/v/{video.slug}/comments", headers=HX)).text
    page = await nv_client.get(f"/v/{video.slug}/comments", headers={"accept": "text/html"})
    assert "<html" in page.text
    assert "Log in</a> to comment" in page.text


async def test_posting_from_the_panel_with_htmx(nv_client: Any, scene: dict[str, Any]) -> None:
    video = scene["video"]
    headers = await session_headers(nv_client, scene["ada"])
    response = await nv_client.post(
        f"/v/{video.slug}/comments", data={"text": f"{SCRIPT} @bob"}, headers=headers
    )
    assert response.status_code == 200
    assert 'class="nv-comments' in response.text
    assert "<html" not in response.text
    assert SCRIPT not in response.text
    assert "&lt;script&gt;" in response.text
    assert 'href="/u/bob"' in response.text
    trigger = json.loads(response.headers["hx-trigger"])
    assert trigger == {"nv-comment-count": {"video": video.slug, "count": 1}}
    [top] = comment_ids(response.text)

    reply = await nv_client.post(
        f"/v/{video.slug}/comments", data={"text": "a reply", "reply_to": str(top)}, headers=headers
    )
    assert reply.status_code == 200
    assert reply.text.lstrip().startswith(f'<li class="nv-thread" id="c-{top}"')
    assert "a reply" in reply.text
    assert "to @ada" in reply.text
    assert json.loads(reply.headers["hx-trigger"])["nv-comment-count"]["count"] == 2
    # The stored text is exactly what was typed.
    row = await Comment.objects().where(Comment.id == top).first()
    assert row.text == f"{SCRIPT} @bob"


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "empty"), ("   \n ", "empty"), ("z" * 501, "at most 500")],
)
async def test_form_errors_come_back_in_the_form_with_the_text_kept(
    nv_client: Any, scene: dict[str, Any], text: str, says: str
) -> None:
    video = scene["video"]
    headers = await session_headers(nv_client, scene["ada"])
    response = await nv_client.post(
        f"/v/{video.slug}/comments", data={"text": text}, headers=headers
    )
    assert response.status_code == 400
    assert says in response.text
    assert 'role="alert"' in response.text
    assert response.headers["hx-retarget"] == f"#nv-comment-form-{video.slug}"
    assert response.headers["hx-reswap"] == "outerHTML"
    assert response.text.lstrip().startswith("<form")
    if text.strip():
        assert text in response.text
    # A browser without htmx gets the whole page, with the same message.
    browser = {"accept": "text/html", "x-csrftoken": headers["x-csrftoken"]}
    page = await nv_client.post(f"/v/{video.slug}/comments", data={"text": text}, headers=browser)
    assert page.status_code == 400
    assert says in page.text
    assert "<html" in page.text
    assert await Comment.count() == 0


async def test_a_reply_error_returns_the_reply_form(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any], make_video: Any
) -> None:
    video = scene["video"]
    elsewhere = await make_video(scene["owner"], "elsewhere")
    other = await services.post_comment(nv_resources, scene["bob"], elsewhere, "over there")
    headers = await session_headers(nv_client, scene["ada"])
    response = await nv_client.post(
        f"/v/{video.slug}/comments", data={"text": "hi", "reply_to": str(other.id)}, headers=headers
    )
    assert response.status_code == 400
    assert "same video" in response.text
    assert response.headers["hx-retarget"] == f"#nv-reply-form-{other.id}"
    bad = await nv_client.post(
        f"/v/{video.slug}/comments", data={"text": "hi", "reply_to": "1; drop"}, headers=headers
    )
    assert bad.status_code == 400
    assert "reply_to" in bad.text
    assert await Comment.count().where(Comment.video == video.id) == 0


async def test_browser_form_posts_need_csrf_and_sign_in(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    video = scene["video"]
    url = f"/v/{video.slug}/comments"
    async with other_client(nv_client) as visitor:
        token = await csrf_token(visitor)
        signed_out = await visitor.post(
            url, data={"text": "hi", "_csrf_token": token}, headers={"accept": "text/html"}
        )
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/login")
        htmx = await visitor.post(url, data={"text": "hi"}, headers={**HX, "x-csrftoken": token})
        assert htmx.status_code == 401

        assert (await login(visitor, "ada")).status_code == 303
        forged = await visitor.post(url, data={"text": "forged"}, headers={"accept": "text/html"})
        assert forged.status_code == 403
        assert await Comment.count() == 0

        token = await csrf_token(visitor)
        posted = await visitor.post(
            url, data={"text": "for real", "_csrf_token": token}, headers={"accept": "text/html"}
        )
        assert posted.status_code == 303
        [row] = await Comment.objects()
        assert posted.headers["location"] == f"{url}#c-{row.id}"


async def test_hidden_videos_have_no_comment_pages(
    nv_client: Any, scene: dict[str, Any], make_video: Any
) -> None:
    hidden = await make_video(scene["owner"], "draft", status="processing")
    headers = await session_headers(nv_client, scene["owner"])
    assert (await nv_client.get(f"/v/{hidden.slug}/comments", headers=HX)).status_code == 404
    posted = await nv_client.post(f"/v/{hidden.slug}/comments", data={"text": "x"}, headers=headers)
    assert posted.status_code == 404
    assert await Comment.count() == 0


async def test_edit_and_delete_through_fragments(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    video = scene["video"]
    top = await services.post_comment(nv_resources, scene["ada"], video, "typo heer")
    reply = await services.post_comment(nv_resources, scene["bob"], video, "lol", reply_to=top.id)
    ada = await session_headers(nv_client, scene["ada"])

    form = await nv_client.get(f"/comments/{top.id}/edit", headers=ada)
    assert form.status_code == 200
    assert "typo heer</textarea>" in form.text
    assert (await nv_client.get(f"/comments/{reply.id}/edit", headers=ada)).status_code == 403
    saved = await nv_client.post(
        f"/comments/{top.id}/edit", data={"text": "typo here"}, headers=ada
    )
    assert saved.status_code == 200
    assert "typo here" in saved.text
    assert "edited" in saved.text
    refused = await nv_client.post(f"/comments/{top.id}/edit", data={"text": " "}, headers=ada)
    assert refused.status_code == 400
    assert "empty" in refused.text
    assert "<form" in refused.text
    others = await nv_client.post(f"/comments/{reply.id}/edit", data={"text": "x"}, headers=ada)
    assert others.status_code == 403
    assert (await nv_client.post(f"/comments/{reply.id}/delete", headers=ada)).status_code == 403

    gone = await nv_client.post(f"/comments/{top.id}/delete", headers=ada)
    assert gone.status_code == 200
    assert "comment deleted" in gone.text
    assert "typo here" not in gone.text
    assert f'data-comment="{reply.id}"' in gone.text
    assert json.loads(gone.headers["hx-trigger"])["nv-comment-count"]["count"] == 1
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers=HX)
    assert "comment deleted" in panel.text
    assert "lol" in panel.text

    async with other_client(nv_client) as bob_browser:
        bob = await session_headers(bob_browser, scene["bob"])
        last = await bob_browser.post(f"/comments/{reply.id}/delete", headers=bob)
        assert last.status_code == 200
        assert last.text.strip() == ""
    assert await Comment.count() == 0


async def test_reply_and_edit_pages_work_without_htmx(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    video = scene["video"]
    top = await services.post_comment(nv_resources, scene["ada"], video, "hello")
    await login(nv_client, "ada")
    page = {"accept": "text/html"}
    reply = await nv_client.get(f"/comments/{top.id}/reply", headers=page)
    assert reply.status_code == 200
    assert "<html" in reply.text
    assert 'name="reply_to"' in reply.text
    assert "hx-post" not in reply.text.split("nv-reply-form", 1)[1].split(">", 1)[0]
    edit = await nv_client.get(f"/comments/{top.id}/edit", headers=page)
    assert edit.status_code == 200
    assert "hello</textarea>" in edit.text
    shown = await nv_client.get(f"/comments/{top.id}", headers=page)
    assert shown.status_code == 303
    assert shown.headers["location"] == f"/v/{video.slug}/comments#c-{top.id}"


async def test_cards_show_comment_counts_with_one_query_per_page(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any], make_video: Any, monkeypatch: Any
) -> None:
    videos = [scene["video"], *[await make_video(scene["owner"], f"clip {i}") for i in range(4)]]
    for index, video in enumerate(videos):
        for n in range(index):
            await services.post_comment(nv_resources, scene["ada"], video, f"c{n}")
    calls: list[str] = []
    original = Comment.raw

    def counting(sql: str, *args: Any) -> Any:
        calls.append(sql)
        return original(sql, *args)

    monkeypatch.setattr(Comment, "raw", counting)
    html = (await nv_client.get("/")).text
    assert len(calls) == 1
    for index, video in enumerate(videos):
        assert f'<span data-comment-count="{video.slug}">{index}</span>' in html
        assert f'hx-get="/v/{video.slug}/comments?sheet=true"' in html
    assert html.count('class="nv-comments-sheet"') == len(videos)
    assert "/static/plugins/comments/comments.js" in html


async def test_the_video_page_loads_its_comments_below_the_video(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    video = scene["video"]
    await services.post_comment(nv_resources, scene["ada"], video, "first!")
    html = (await nv_client.get(f"/v/{video.slug}")).text
    assert (
        f'<section class="nv-comments-page" id="comments" hx-get="/v/{video.slug}/comments"' in html
    )
    assert 'href="#comments"' in html
    assert "nv-comments-sheet" not in html
    assert f'<span data-comment-count="{video.slug}">1</span>' in html


async def test_hook_prepare_cards(
    nv_plugins: list[Any], make_user: Any, make_video: Any, nv_client: Any
) -> None:
    seen: list[list[str]] = []

    class Badges:
        @hookimpl
        async def prepare_cards(self, request: Any, cards: list[Any]) -> None:
            seen.append([card.slug for card in cards])
            request.scope["badges"] = {card.id: card.slug.upper() for card in cards}

        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
            if slot == "video_actions":
                badge = context["request"].scope.get("badges", {}).get(context["video"].id)
                return f'<b class="badge">{badge}</b>'
            return None

    nv_plugins.append(Badges())
    # nv_client was built before the plugin was added: build the app again with it.
    from nichevid.app import create_app
    from nichevid.testing import client_for

    owner = await make_user("owner", role="creator")
    videos = [await make_video(owner, f"clip {i}") for i in range(3)]
    async with client_for(create_app(nv_client.app.state.settings, plugins=nv_plugins)) as client:
        html = (await client.get("/")).text
        assert seen == [[v.slug for v in reversed(videos)]]
        for video in videos:
            assert f'<b class="badge">{video.slug.upper()}</b>' in html
        await client.get(f"/v/{videos[0].slug}")
        assert seen[-1] == [videos[0].slug]
