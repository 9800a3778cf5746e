"""The search page before a search: hashtags, creators and playlists to discover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.playlists import services as playlists
from nichevid.safety.blocks import block
from nichevid.search import discover
from nichevid.social import hashtags
from nichevid.social.follows import set_follow
from nichevid.social.tables import Follow
from tests.accounts.conftest import login, post_form

HX = {"HX-Request": "true"}


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any, make_video: Any) -> dict[str, Any]:
    """Two creators posting #boulder and #crimp, an old #trad video, a private #secret one."""
    ana = await make_user("ana", role="creator")
    ben = await make_user("ben", role="creator")
    quiet = await make_user("quiet", role="creator")
    fans = [await make_user(f"fan{n}") for n in range(3)]
    old = datetime.now(UTC) - timedelta(days=discover.DAYS + 2)
    clips = [
        await make_video(ana, "first moves #boulder #crimp"),
        await make_video(ana, "more #boulder"),
        await make_video(ben, "project #boulder"),
        await make_video(ben, "#crimp training"),
    ]
    await make_video(quiet, "long ago #trad", published_at=old)
    await make_video(ana, "hidden #secret", visibility="private")
    for fan in fans:
        await set_follow(fan, ben, True)
    await set_follow(fans[0], ana, True)
    # An old follow counts for nothing.
    await Follow.update({Follow.created_at: old}).where(Follow.followee == ana.id)
    playlist = await playlists.create_playlist(ana, "Bouldering basics")
    for clip in clips[:2]:
        await playlists.add_video(ana, int(playlist.id), clip.slug)
    await playlists.create_playlist(ben, "Just one")
    return {"ana": ana, "ben": ben, "fans": fans, "playlist": playlist}


async def test_sections_measure_the_recent_community(scene: dict[str, Any]) -> None:
    found = await discover.measure()
    assert found.hashtags == [("boulder", 3), ("crimp", 2)]
    # ben gained three followers; ana none lately, but she published after quiet.
    assert [(c.username, c.gained) for c in found.creators] == [
        ("ben", 3),
        ("ana", 0),
        ("quiet", 0),
    ]
    assert [p.title for p in found.playlists] == ["Bouldering basics"]
    hidden = found.without({scene["ben"].id})
    assert [c.username for c in hidden.creators] == ["ana", "quiet"]
    assert found.without(set()) is found
    assert [p.title for p in found.without({scene["ana"].id}).playlists] == []


async def test_the_search_page_shows_them_before_a_search(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    page = await nv_client.get("/search")
    assert page.status_code == 200
    assert 'href="/tag/boulder">#boulder' in page.text
    assert "#secret" not in page.text
    assert "#trad" not in page.text
    assert "Creators to discover" in page.text
    assert "3 new followers" in page.text
    assert f'href="/u/ana/playlists/{scene["playlist"].id}"' in page.text
    # As the visitor types, the sections give way to results; clearing brings them back.
    typed = await nv_client.get("/search?q=project", headers=HX)
    assert "Creators to discover" not in typed.text
    cleared = await nv_client.get("/search?q=", headers=HX)
    assert "Creators to discover" in cleared.text
    # A member who blocked ben does not see him, even from the kept sections.
    await block(scene["fans"][1], scene["ben"])
    await login(nv_client, "fan1")
    page = await nv_client.get("/search")
    assert 'href="/u/ben"' not in page.text
    assert 'href="/u/ana"' in page.text


async def test_the_api_gives_the_same_sections(nv_client: Any, scene: dict[str, Any]) -> None:
    found = (await nv_client.get("/api/search/discover")).json()
    assert found["days"] == discover.DAYS
    assert found["hashtags"][0] == {"tag": "boulder", "videos": 3, "url": "/tag/boulder"}
    assert [c["username"] for c in found["creators"]] == ["ben", "ana", "quiet"]
    assert found["creators"][0]["new_followers"] == 3
    assert [p["title"] for p in found["playlists"]] == ["Bouldering basics"]


async def test_sections_are_kept_a_while_per_process(
    nv_resources: Any, scene: dict[str, Any], make_video: Any
) -> None:
    discover.forget(nv_resources)
    first = await discover.sections(nv_resources)
    await make_video(scene["ben"], "#dyno attempt")
    assert await discover.sections(nv_resources) == first
    kept_at, kept = nv_resources.extra["search.discover"]
    nv_resources.extra["search.discover"] = (kept_at - discover.KEEP_SECONDS - 1, kept)
    assert ("dyno", 1) in (await discover.sections(nv_resources)).hashtags


async def test_moderators_feature_hashtags_on_the_search_page(
    nv_client: Any,
    scene: dict[str, Any],
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_user("warden", role="moderator")
    await hashtags.set_description("crimp", "Show your best crimp <b>", scene["ana"])
    await login(nv_client, "fan0")
    assert 'id="nv-tag-feature"' not in (await nv_client.get("/tag/crimp")).text
    refused = await post_form(nv_client, "/tag/crimp/feature", {"featured": "1"})
    assert refused.status_code == 403
    await login(nv_client, "warden")
    await nv_client.get("/search")  # measured and kept before the change
    done = await post_form(nv_client, "/tag/crimp/feature", {"featured": "1"})
    assert done.status_code == 303
    assert done.headers["location"] == "/tag/crimp?saved=featured"
    page = await nv_client.get("/tag/crimp?saved=featured")
    assert "Featured on the search page." in page.text
    assert "Stop featuring on the search page" in page.text
    search = await nv_client.get("/search")
    assert "Show your best crimp &lt;b&gt;" in search.text
    assert search.text.index('href="/tag/crimp"') < search.text.index('href="/tag/boulder"')
    # Featured, it leaves the list of the most used.
    assert search.text.count('href="/tag/crimp"') == 1
    found = (await nv_client.get("/api/search/discover")).json()
    assert found["featured"] == [
        {"tag": "crimp", "description": "Show your best crimp <b>", "url": "/tag/crimp"}
    ]
    # A hashtag no video uses yet may be featured too; past the most, it is refused.
    monkeypatch.setattr(hashtags, "FEATURED_MAX", 2)
    added = await post_form(nv_client, "/tag/new_one/feature", {"featured": "1"})
    assert added.status_code == 303
    full = await post_form(nv_client, "/tag/third/feature", {"featured": "1"})
    assert full.status_code == 409
    assert "stop featuring one first" in full.text
    assert [tag for tag, _ in await hashtags.featured()] == ["new_one", "crimp"]
    off = await post_form(nv_client, "/tag/crimp/feature", {"featured": ""})
    assert off.headers["location"] == "/tag/crimp?saved=unfeatured"
    assert [tag for tag, _ in await hashtags.featured()] == ["new_one"]
    bad = await post_form(nv_client, "/tag/not-a-tag!/feature", {"featured": "1"})
    assert bad.status_code == 404
