"""Age-restricted videos: for adults only, on every surface, and above all their media URLs.

A moderator age-restricts Cara's video "spicy knitting". Dan is an adult by his date of
birth, Ann states none, Kim is 16; a signed-out visitor is no adult either.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import pytest

from nichevid.core.secrets import instance_secret
from nichevid.media import gates, keys
from nichevid.media import services as media
from nichevid.media.signing import signed_query
from nichevid.media.tables import Video
from nichevid.safety.prefs import Prefs, save_prefs
from nichevid.social import services as social
from nichevid.testing.factories import ready_video
from nichevid_moderation import actions
from tests.media.conftest import assert_plays_with_signed_media

from .conftest import login


def born(years_ago: int) -> date:
    """A date of birth that makes its member ``years_ago`` years old today."""
    today = datetime.now(UTC).date()
    return date(today.year - years_ago, 1, 1)


@pytest.fixture
async def spicy(nv_resources: Any, people: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """Cara's age-restricted video with its files stored, her open one, and the viewers."""
    cara = people["cara"]
    video = await ready_video(cara, caption="spicy knitting #yarn", hashtags=["yarn"])
    await ready_video(cara, caption="open knitting #yarn", hashtags=["yarn"])
    await actions.act(
        nv_resources, people["mod"], kind="video", ref=video.slug, action="age_restrict"
    )
    slug = video.slug
    files = {
        keys.rendition_key(slug, "360p"): b"\x00\x00\x00\x18ftypmp42" + b"0" * 100,
        keys.poster_key(slug): b"\xff\xd8\xff" + b"0" * 50,
    }
    for key, data in files.items():
        await nv_resources.storage.put_bytes(key, data)
    dan, kim = await make_user("dan"), await make_user("kim")
    await save_prefs(dan, Prefs(birth_date=born(30)))
    await save_prefs(kim, Prefs(birth_date=born(16)))
    row = await media.get_video(slug=slug)
    return {"video": row, "files": files, "dan": dan, "kim": kim}


async def test_the_action_sets_the_core_flag_and_lifting_clears_it(
    nv_resources: Any, people: dict[str, Any], spicy: dict[str, Any]
) -> None:
    video = spicy["video"]
    assert video.age_restricted is True
    assert not media.is_open(video)
    assert await gates.set_age_restricted(video.id, False)
    assert media.is_open(await media.get_video(video_id=video.id))
    assert not await gates.set_age_restricted(10**9, True)  # no such video


async def test_only_adults_and_the_creator_may_watch(
    nv_resources: Any, people: dict[str, Any], spicy: dict[str, Any]
) -> None:
    video = spicy["video"]
    assert await media.may_view(nv_resources, video, people["cara"])
    assert await media.may_view(nv_resources, video, spicy["dan"])
    for viewer in (None, people["ann"], spicy["kim"]):
        assert not await media.may_view(nv_resources, video, viewer)
        for key in spicy["files"]:
            with pytest.raises(PermissionError):
                await media.media_url(nv_resources, video, key, viewer)
    everyone = [None, people["ann"], spicy["kim"], spicy["dan"]]
    assert [await gates.is_adult(nv_resources, v) for v in everyone] == [False, False, False, True]
    # Dan turns out to be a minor: he corrects his date of birth and is refused from then.
    await save_prefs(spicy["dan"], Prefs(birth_date=born(17)))
    assert not await media.may_view(nv_resources, video, spicy["dan"])
    assert await gates.viewable_ids(nv_resources, [video], spicy["dan"]) == set()
    assert await gates.viewable_ids(nv_resources, [video], people["cara"]) == {video.id}


async def test_media_only_by_fresh_signed_urls_for_adults(
    nv_client: Any, nv_resources: Any, spicy: dict[str, Any]
) -> None:
    video, files = spicy["video"], spicy["files"]
    for key, data in files.items():
        # The plain URL that served it before the restriction is refused now.
        assert (await nv_client.get(f"/media/{key}")).status_code == 403
        url = await media.media_url(nv_resources, video, key, spicy["dan"])
        assert "sig=" in url
        fetched = await nv_client.get(url)
        assert fetched.status_code == 200
        assert fetched.content == data
        assert fetched.headers["cache-control"].startswith("private")
        # A URL signed for him a while ago has expired: refused.
        old = signed_query(instance_secret(nv_resources.settings), key, 300, now=time.time() - 301)
        assert (await nv_client.get(f"/media/{key}?{old}")).status_code == 403


async def test_video_page_plays_for_adults_and_says_why_to_others(
    nv_client: Any, spicy: dict[str, Any]
) -> None:
    slug = spicy["video"].slug
    prefix = f"videos/{slug}/"
    visitor = await nv_client.get(f"/v/{slug}", headers={"accept": "text/html"})
    assert visitor.status_code == 403
    assert "This video is age-restricted" in visitor.text
    assert "Only members aged 18 or older can watch it." in visitor.text
    assert f'href="/login?next=/v/{slug}"' in visitor.text
    assert visitor.headers["cache-control"] == "private, no-store"
    assert prefix not in visitor.text
    assert "og:image" not in visitor.text
    assert "og:video" not in visitor.text
    for member in ("ann", "kim"):
        await login(nv_client, member)
        refused = await nv_client.get(f"/v/{slug}", headers={"accept": "text/html"})
        assert refused.status_code == 403
        assert 'href="/settings/safety"' in refused.text
        assert prefix not in refused.text
        assert "og:image" not in refused.text
    await login(nv_client, "dan")
    await assert_plays_with_signed_media(nv_client, slug)


async def test_no_listing_shows_it_to_those_who_may_not_watch(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], spicy: dict[str, Any]
) -> None:
    slug = spicy["video"].slug
    await social.set_follow(people["ann"], people["cara"], True)
    await social.set_follow(spicy["kim"], people["cara"], True)
    surfaces = ["/", "/tag/yarn", "/search?q=knitting", "/u/cara", f"/api/videos/{slug}"]
    for who in (None, "ann", "kim"):
        if who:
            await login(nv_client, who)
            surfaces.append("/following")
        for path in surfaces:
            answer = await nv_client.get(path, headers={"accept": "text/html"})
            assert answer.status_code in (200, 404), (who, path)
            assert slug not in answer.text, (who, path)
        assert "open knitting" in (await nv_client.get("/search?q=knitting")).text
    assert (await nv_client.get(f"/api/videos/{slug}")).status_code == 404
    assert (await nv_client.get(f"/embed/{slug}")).status_code == 404
    page_url = quote(f"http://127.0.0.1:8000/v/{slug}", safe="")
    assert (await nv_client.get(f"/oembed?url={page_url}")).status_code == 404
    # The "why this video" sentence names no age-restricted video either.
    assert (await nv_client.get(f"/feed/why/{slug}")).status_code == 404
    await gates.set_age_restricted(spicy["video"].id, False)
    assert (await nv_client.get(f"/feed/why/{slug}")).status_code == 200


async def test_videos_restricted_before_the_flag_existed_carry_it_after_migrating(
    nv_resources: Any, people: dict[str, Any], spicy: dict[str, Any]
) -> None:
    from nichevid_moderation.piccolo_migrations import moderation_2026_12_04t23_21_00_000000 as m

    video = spicy["video"]
    await Video.update({Video.age_restricted: False}).where(Video.id == video.id)
    manager = await m.forwards()
    await manager.run()
    assert (await media.get_video(video_id=video.id)).age_restricted is True


async def test_adults_find_it_in_their_own_listings_with_signed_media(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], spicy: dict[str, Any]
) -> None:
    slug = spicy["video"].slug
    await social.set_follow(spicy["dan"], people["cara"], True)
    await login(nv_client, "dan")
    for path in ("/tag/yarn", "/search?q=knitting", "/search?q=spicy&type=videos", "/following"):
        answer = await nv_client.get(path, headers={"accept": "text/html"})
        assert answer.status_code == 200, path
        assert f'href="/v/{slug}"' in answer.text, path
        assert answer.headers["cache-control"] == "private, no-store", path
        urls = re.findall(rf'(/media/videos/{re.escape(slug)}/[^"\s]+)', answer.text)
        assert urls, path
        for url in urls:
            url = url.replace("&amp;", "&")
            assert "sig=" in url, (path, url)
            assert (await nv_client.get(url)).status_code in (200, 404), (path, url)
    # The next page of the hashtag grid is his too.
    more = await nv_client.get("/tag/yarn/videos?cursor=999999999")
    assert more.headers["cache-control"] == "private, no-store"
    # The shared orders stay without it, for him as for everybody.
    assert slug not in (await nv_client.get("/")).text
    assert slug not in (await nv_client.get("/u/cara")).text


async def test_only_adults_and_the_creator_read_and_write_its_comments(
    nv_resources: Any, people: dict[str, Any], spicy: dict[str, Any]
) -> None:
    from nichevid.comments import services as comments

    video = spicy["video"]
    for viewer in (people["cara"], spicy["dan"]):
        assert await comments.may_read(nv_resources, video, viewer)
        assert (await comments.commentable_video(video.slug, nv_resources, viewer)).id == video.id
    for viewer in (None, people["ann"], spicy["kim"]):
        assert not await comments.may_read(nv_resources, video, viewer)
        with pytest.raises(comments.CommentError) as refused:
            await comments.commentable_video(video.slug, nv_resources, viewer)
        assert refused.value.status == 404
