"""For You batches rendered once for every member, each member's likes put back in."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from nichevid.core.shared import Shared, alternative, is_shared
from nichevid.feed import foryou
from nichevid.social import services

from .conftest import browser, statements_of_this_task
from .test_feeds import count_of, like_button


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    """Shared renders kept for a minute; no fresh slots, so the order is the upload order.

    Members share batches when For You is the same for everybody (``personal = false``).
    """
    return nv_settings_factory(
        server={"page_cache_seconds": 60},
        plugin={"feed": {"foryou_fresh_every": 0}, "recommend": {"personal": False}},
    )


def bookmark_button(html: str, slug: str) -> str:
    match = re.search(
        rf"<button[^>]*data-nv-bookmark[^>]*/social/videos/{slug}/bookmark[^>]*>.*?</button>",
        html,
        re.S,
    )
    assert match is not None, f"no bookmark button for {slug}"
    return match.group(0)


async def other_browser(client: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=client.app, client=("127.0.0.1", 50002))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


async def test_members_share_a_batch_but_see_only_their_own_likes(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    bob, cyd = await make_user("bob"), await make_user("cyd")
    videos = [await make_video(ada) for _ in range(7)]
    liked, kept = videos[1], videos[0]
    await services.set_like(bob, liked, True)
    await services.set_like(cyd, liked, True)
    await services.set_bookmark(bob, kept, True)
    await foryou.for_you(nv_resources).current()
    path = f"/feed/next?cursor=t1.{videos[2].id}"

    # Cyd asks first: the batch is rendered and kept, with Cyd's like put back in.
    cyd_headers = await browser(nv_client, cyd)
    cyd_html = (await nv_client.get(path, headers=cyd_headers)).text
    assert 'aria-pressed="true"' in like_button(cyd_html, liked.slug)
    assert 'aria-pressed="false"' in bookmark_button(cyd_html, kept.slug)

    async with await other_browser(nv_client) as bob_client:
        bob_client.app = nv_client.app  # type: ignore[attr-defined]
        bob_headers = await browser(bob_client, bob)
        with statements_of_this_task(nv_resources.engine) as seen:
            bob_html = (await bob_client.get(path, headers=bob_headers)).text
    # Bob's copy: his like and bookmark, both counts as everyone sees them, his buttons
    # turn the marks off again.
    like = like_button(bob_html, liked.slug)
    assert 'aria-pressed="true"' in like
    assert f'hx-delete="/social/videos/{liked.slug}/like"' in like
    assert count_of(like) == "2"
    bookmark = bookmark_button(bob_html, kept.slug)
    assert 'aria-pressed="true"' in bookmark
    assert f'hx-delete="/social/videos/{kept.slug}/bookmark"' in bookmark
    assert 'aria-pressed="true"' not in like_button(bob_html, kept.slug)
    # Nothing of the cards was read again: only Bob's session, Bob and his marks.
    assert not [sql for sql in seen if "nv_video" in sql and "nv_like" not in sql], seen
    assert len([sql for sql in seen if "nv_like" in sql]) == 1
    # Signed out, the same batch has login buttons and nobody's likes.
    async with await other_browser(nv_client) as anonymous_client:
        anonymous = (await anonymous_client.get(path, headers={"HX-Request": "true"})).text
    assert "Log in to like" in anonymous
    assert 'aria-pressed="true"' not in anonymous


async def test_a_like_shows_on_the_next_shared_batch_at_once(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    videos = [await make_video(ada) for _ in range(3)]
    headers = await browser(nv_client, bob)
    path = f"/feed/next?cursor=t1.{videos[2].id}"
    before = (await nv_client.get(path, headers=headers)).text
    assert 'aria-pressed="false"' in like_button(before, videos[0].slug)
    await services.set_like(bob, videos[0], True)
    after = (await nv_client.get(path, headers=headers)).text
    assert 'aria-pressed="true"' in like_button(after, videos[0].slug)


async def test_a_forged_cursor_is_refused_for_members_too(nv_client: Any, make_user: Any) -> None:
    headers = await browser(nv_client, await make_user("bob"))
    response = await nv_client.get("/feed/next", params={"cursor": "m1.x"}, headers=headers)
    assert response.status_code == 400
    assert "reload the feed" in response.text


def test_alternatives_are_offered_only_while_a_shared_render_runs() -> None:
    class Request:
        scope: dict[str, Any] = {}

    request = Request()
    assert alternative(request, "k", "<b>off</b>", pressed="<b>on</b>") == "<b>off</b>"
    assert not is_shared(request)
    shared = Shared("<p><b>off</b></p>", [1], {"k": ("<b>off</b>", {"pressed": "<b>on</b>"})})
    assert shared.for_member({"k": "pressed"}) == "<p><b>on</b></p>"
    # Unknown keys and versions leave the default.
    assert shared.for_member({"k": "other", "x": "pressed"}) == "<p><b>off</b></p>"


async def test_hook_personal_choices(
    nv_plugins: list[Any], nv_settings: Any, make_user: Any, make_video: Any
) -> None:
    from nichevid.app import create_app
    from nichevid.plugins import hookimpl
    from nichevid.testing import client_for

    class TipJar:
        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
            if slot != "video_actions":
                return None
            video_id = context["video"].id
            return alternative(
                context["request"],
                f"tips.{video_id}",
                f'<b class="tip">tip {video_id}</b>',
                tipped=f'<b class="tip">tipped {video_id}</b>',
            )

        @hookimpl
        async def personal_choices(self, request: Any, video_ids: list[int]) -> dict[str, str]:
            # Ada tipped every video; nobody else tipped any.
            if request.scope["user"].username != "ada":
                return {}
            return {f"tips.{video_id}": "tipped" for video_id in video_ids}

    class Broken:
        @hookimpl
        def personal_choices(self, request: Any, video_ids: list[int]) -> dict[str, str]:
            raise RuntimeError("a broken plugin leaves the defaults")

    nv_plugins.extend([TipJar(), Broken()])
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    videos = [await make_video(ada) for _ in range(3)]
    path = f"/feed/next?cursor=t1.{videos[2].id}"
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        ada_html = (await client.get(path, headers=await browser(client, ada))).text
        async with await other_browser(client) as other:
            other.app = client.app  # type: ignore[attr-defined]
            bob_html = (await other.get(path, headers=await browser(other, bob))).text
    for video in videos[:2]:
        assert f'<b class="tip">tipped {video.id}</b>' in ada_html
        assert f'<b class="tip">tip {video.id}</b>' in bob_html
    assert "tipped" not in bob_html


async def test_buttons_made_once_follow_the_language_and_the_counts(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    video = await make_video(ada)

    async def like(language: str = "en") -> str:
        page = await nv_client.get(f"/v/{video.slug}", headers={"Accept-Language": language})
        match = re.search(r"<button[^>]*nv-action--like[^>]*>.*?</button>", page.text, re.S)
        assert match is not None
        return match.group(0)

    english, spanish = await like(), await like("es")
    assert 'aria-label="Log in to like, 0 likes"' in english
    assert "Inicia sesión para indicar que te gusta" in spanish
    await services.set_like(bob, video, True)
    assert 'aria-label="Log in to like, 1 like"' in await like()
