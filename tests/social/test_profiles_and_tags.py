"""Profile video grids (paged with htmx) and hashtag pages with their challenge text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from markupsafe import escape

from nichevid.media.tables import Video
from nichevid.plugins import hookimpl
from nichevid.social import hashtags, listing, services
from nichevid.social.tables import Hashtag
from tests.accounts.conftest import post_form

from .conftest import browser

TILE = re.compile(r'<a class="nv-grid-item" href="/v/([^"]+)"')
MORE = re.compile(r'hx-get="(/[^"?]+)\?cursor=(\d+)"')


async def test_profile_grid_shows_ready_public_videos_newest_first_with_grid_posters(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    old = await make_video(ada)
    new = await make_video(ada)
    grid = {
        "jpg": f"videos/{new.slug}/poster-grid.jpg",
        "webp": f"videos/{new.slug}/poster-grid.webp",
        "width": 180,
        "height": 320,
    }
    await Video.update({Video.images: {"grid": grid}}).where(Video.id == new.id)
    for fields in (
        {"visibility": "private"},
        {"visibility": "followers"},
        {"status": "processing"},
        {"status": "removed"},
    ):
        await make_video(ada, **fields)
    await make_video(bob)
    await services.set_like(bob, new, True)

    html = (await nv_client.get("/u/ada")).text
    assert TILE.findall(html) == [new.slug, old.slug]
    assert f'src="/media/videos/{new.slug}/poster-grid.webp"' in html
    assert 'width="180" height="320"' in html
    assert f'src="/media/videos/{old.slug}/poster.jpg"' in html  # no grid size: the poster
    assert re.search(r'nv-grid-likes"><span aria-hidden="true">♥</span> 1<', html)
    assert "<!--nv-social" not in html


async def test_hook_prepare_profile(nv_client: Any, nv_resources: Any, make_user: Any) -> None:
    seen: list[str] = []

    class Badges:
        @hookimpl
        async def prepare_profile(self, request: Any, member: Any) -> None:
            seen.append(member.username)
            request.scope["test.badges"] = {member.id: "<Top climber>"}

        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
            if slot == "profile_header":
                badges = context["request"].scope.get("test.badges", {})
                text = badges.get(context["member"]["id"])
                return f'<p class="badge">{escape(text)}</p>' if text else None
            return None

    nv_resources.pm.register(Badges())
    await make_user("ada")
    html = (await nv_client.get("/u/ada")).text
    assert seen == ["ada"]
    assert '<p class="badge">&lt;Top climber&gt;</p>' in html
    assert "<strong>0</strong> Followers" in html  # the social package's part is there too
    assert (await nv_client.get("/u/nobody")).status_code == 404
    assert seen == ["ada"]


async def test_hook_prepare_hashtag(nv_client: Any, nv_resources: Any) -> None:
    seen: list[str] = []

    class Sponsor:
        @hookimpl
        async def prepare_hashtag(self, request: Any, tag: str) -> None:
            seen.append(tag)
            request.scope["test.sponsor"] = {tag: "<Rope & Co>"}

        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
            if slot == "hashtag_header":
                sponsor = context["request"].scope.get("test.sponsor", {}).get(context["tag"])
                return f'<p class="sponsor">{escape(sponsor)}</p>' if sponsor else None
            return None

    nv_resources.pm.register(Sponsor())
    html = (await nv_client.get("/tag/Bouldering")).text
    assert seen == ["bouldering"]
    assert '<p class="sponsor">&lt;Rope &amp; Co&gt;</p>' in html
    assert html.index("#bouldering</h1>") < html.index('class="sponsor"')


async def test_profile_grid_pages_with_htmx(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    videos = [await make_video(ada) for _ in range(listing.GRID_PAGE * 2 + 3)]
    newest = [v.slug for v in reversed(videos)]
    html = (await nv_client.get("/u/ada")).text
    assert TILE.findall(html) == newest[: listing.GRID_PAGE]
    shown = TILE.findall(html)
    more = MORE.search(html)
    while more is not None:
        assert more.group(1) == "/u/ada/videos"
        page = await nv_client.get(
            f"{more.group(1)}?cursor={more.group(2)}", headers={"HX-Request": "true"}
        )
        assert page.status_code == 200
        assert "<html" not in page.text
        shown += TILE.findall(page.text)
        more = MORE.search(page.text)
    assert shown == newest


async def test_profile_grid_bad_requests(nv_client: Any, make_user: Any) -> None:
    await make_user("ada")
    assert (await nv_client.get("/u/nobody/videos?cursor=5")).status_code == 404
    assert (await nv_client.get("/u/ada/videos?cursor=soon")).status_code == 400
    empty = await nv_client.get("/u/ada")
    assert "No videos yet." in empty.text


async def test_hashtag_page_lists_public_videos_with_the_tag(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    tagged = await make_video(ada, caption="on the wall #Boulder", hashtags=["boulder", "wall"])
    await make_video(ada, caption="#boulder but hidden", hashtags=["boulder"], visibility="private")
    await make_video(ada, caption="#boulders", hashtags=["boulders"])
    unicode = await make_video(ada, caption="#éte", hashtags=["éte"])

    page = await nv_client.get("/tag/Boulder")
    assert page.status_code == 200
    assert "<h1>#boulder</h1>" in page.text
    assert TILE.findall(page.text) == [tagged.slug]
    assert "Add a challenge description" not in page.text  # visitors cannot edit
    assert TILE.findall((await nv_client.get("/tag/%23%C3%A9te")).text) == [unicode.slug]
    none = await nv_client.get("/tag/nothing_yet")
    assert "No videos with #nothing_yet yet." in none.text


async def test_hashtag_grid_pages(nv_client: Any, make_user: Any, make_video: Any) -> None:
    ada = await make_user("ada", role="creator")
    videos = [await make_video(ada) for _ in range(listing.GRID_PAGE + 2)]
    html = (await nv_client.get("/tag/social")).text
    more = MORE.search(html)
    assert more is not None
    assert more.group(1) == "/tag/social/videos"
    rest = await nv_client.get(f"/tag/social/videos?cursor={more.group(2)}")
    assert TILE.findall(html) + TILE.findall(rest.text) == [v.slug for v in reversed(videos)]


@pytest.mark.parametrize("name", ["no spaces", "a" * 65, "semi;colon", "%00"])
async def test_bad_hashtag_names_are_not_found(nv_client: Any, name: str) -> None:
    response = await nv_client.get(f"/tag/{name}", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "hashtags are letters, digits and _" in response.text


async def test_moderators_write_the_challenge_description(nv_client: Any, make_user: Any) -> None:
    mod = await make_user("mod", role="moderator")
    await browser(nv_client, mod)
    form = await nv_client.get("/tag/boulder")
    assert "Add a challenge description" in form.text
    saved = await post_form(
        nv_client, "/tag/boulder", {"description": "  Climb <b>one</b> problem a day.\r\n  "}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/tag/boulder?saved=1"
    page = await nv_client.get("/tag/boulder?saved=1")
    assert "The description is saved." in page.text
    assert '<p class="nv-tag-description">Climb &lt;b&gt;one&lt;/b&gt; problem a day.</p>' in (
        page.text
    )
    assert await hashtags.description_of("boulder") == "Climb <b>one</b> problem a day."
    # Writing it again replaces it; an empty text clears it.
    await post_form(nv_client, "/tag/boulder", {"description": "New month, new wall."})
    assert await hashtags.description_of("boulder") == "New month, new wall."
    await post_form(nv_client, "/tag/boulder", {"description": ""})
    assert await hashtags.description_of("boulder") == ""
    assert await Hashtag.count() == 1


async def test_a_too_long_description_keeps_the_old_one_and_says_why(
    nv_client: Any, make_user: Any
) -> None:
    admin = await make_user("boss", role="admin")
    await hashtags.set_description("boulder", "The old text.", admin)
    await browser(nv_client, admin)
    long = "x" * (hashtags.DESCRIPTION_MAX + 1)
    response = await post_form(nv_client, "/tag/boulder", {"description": long})
    assert response.status_code == 400
    assert "shorten it to 2000 or fewer" in response.text
    assert long in response.text  # the draft is kept in the form
    assert await hashtags.description_of("boulder") == "The old text."


async def test_members_cannot_write_descriptions(nv_client: Any, make_user: Any) -> None:
    bob = await make_user("bob", role="creator")
    await browser(nv_client, bob)
    response = await post_form(nv_client, "/tag/boulder", {"description": "mine now"})
    assert response.status_code == 403
    assert await Hashtag.count() == 0


async def test_describing_a_tag_needs_the_csrf_token(nv_client: Any, make_user: Any) -> None:
    mod = await make_user("mod", role="moderator")
    await browser(nv_client, mod)
    response = await nv_client.post("/tag/boulder", data={"description": "no token"})
    assert response.status_code == 403
    assert await Hashtag.count() == 0


async def test_the_following_feed_and_a_followed_button_have_their_own_words(
    nv_client: Any, make_user: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    await services.set_follow(bob, ada, True)
    await browser(nv_client, bob)
    chinese = {"Accept-Language": "zh-Hans"}
    profile = (await nv_client.get("/u/ada", headers=chinese)).text
    button = re.search(r"<button[^>]*nv-follow[^>]*>([^<]*)</button>", profile)
    assert button is not None
    assert button.group(1) == "已关注"  # "followed"
    # The nav link to the Following feed says "关注" (the feed), not "followed".
    assert '<span class="nv-nav-label">关注</span>' in profile
    english = (await nv_client.get("/u/ada")).text
    assert re.search(r"<button[^>]*nv-follow[^>]*>Following</button>", english)
