"""robots.txt and the sitemaps: open videos, their creators and hashtags, in pages; nothing
else, and nothing at all when the site keeps away from search engines."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest

from nichevid.accounts.tables import User
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.share import sitemap

S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
V = "{http://www.google.com/schemas/sitemap-video/1.1}"
BASE = "http://127.0.0.1:8000"


def parsed(response: Any) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert "max-age=3600" in response.headers["cache-control"]
    return ET.fromstring(response.content)


def locations(root: ET.Element, tag: str = "url") -> list[str]:
    return [str(entry.findtext(f"{S}loc")) for entry in root.findall(f"{S}{tag}")]


async def test_robots_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(
    nv_client: Any,
) -> None:
    answer = await nv_client.get("/robots.txt")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    lines = answer.text.splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin", "/settings", "/studio", "/api/", "/upload"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


async def test_the_sitemap_lists_open_videos_their_creators_and_hashtags_in_pages(
    nv_client: Any, make_user: Any, make_video: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitemap, "PAGE_SIZE", 2)
    ada = await make_user("ada", role="creator")
    bob = await make_user("bob", role="creator")
    gone = await make_user("gone", role="creator")
    await make_user("idle")  # no video: no profile in the sitemap
    first = await make_video(
        ada, caption='Knit <b>"light"</b> & more\nline two #knit', hashtags=["knit"]
    )
    second = await make_video(ada, caption="", hashtags=["knit", "wool"], duration_ms=15_500)
    third = await make_video(bob, caption="ridge #climb", hashtags=["climb"])
    # Never listed: private, followers-only, age-restricted, not ready, an inactive member's.
    await make_video(ada, visibility="private", hashtags=["secret"])
    await make_video(ada, visibility="followers", hashtags=["secret"])
    await make_video(ada, age_restricted=True, hashtags=["secret"])
    await make_video(ada, status="processing", hashtags=["secret"])
    hidden = await make_video(gone, hashtags=["secret"])
    await User.update({User.is_active: False}).where(User.id == gone.id)
    # Playlists holding an open video are listed; one of private videos, or of an
    # inactive member, is not.
    listed = Playlist(owner=ada.id, title="Knits")
    await listed.save()
    await PlaylistItem(playlist=listed.id, video=second.id, position=1).save()
    private = await make_video(bob, visibility="private")
    for owner, video in ((bob, private), (gone, hidden)):
        unlisted = Playlist(owner=owner.id, title="not listed")
        await unlisted.save()
        await PlaylistItem(playlist=unlisted.id, video=video.id, position=1).save()

    index = parsed(await nv_client.get("/sitemap.xml"))
    assert locations(index, "sitemap") == [
        f"{BASE}/sitemap/videos-1.xml",
        f"{BASE}/sitemap/videos-2.xml",
        f"{BASE}/sitemap/people-1.xml",
        f"{BASE}/sitemap/hashtags-1.xml",
        f"{BASE}/sitemap/hashtags-2.xml",
        f"{BASE}/sitemap/playlists-1.xml",
    ]
    playlists = parsed(await nv_client.get("/sitemap/playlists-1.xml"))
    assert locations(playlists) == [f"{BASE}/u/ada/playlists/{listed.id}"]
    videos = [parsed(await nv_client.get(f"/sitemap/videos-{n}.xml")) for n in (1, 2)]
    assert [loc for page in videos for loc in locations(page)] == [
        f"{BASE}/v/{first.slug}",
        f"{BASE}/v/{second.slug}",
        f"{BASE}/v/{third.slug}",
    ]
    entry = videos[0].findall(f"{S}url")[0]
    assert entry.findtext(f"{S}lastmod").endswith("Z")
    video = entry.find(f"{V}video")
    assert video.findtext(f"{V}title") == 'Knit <b>"light"</b> & more'
    assert video.findtext(f"{V}description").endswith("line two #knit")
    assert video.findtext(f"{V}thumbnail_loc").startswith(f"{BASE}/media/")
    assert video.findtext(f"{V}player_loc") == f"{BASE}/embed/{first.slug}"
    untitled = videos[0].findall(f"{S}url")[1].find(f"{V}video")
    assert untitled.findtext(f"{V}title") == "@ada"
    assert untitled.findtext(f"{V}duration") == "15"
    people = parsed(await nv_client.get("/sitemap/people-1.xml"))
    assert locations(people) == [f"{BASE}/u/ada", f"{BASE}/u/bob"]
    tags = [parsed(await nv_client.get(f"/sitemap/hashtags-{n}.xml")) for n in (1, 2)]
    assert [loc for page in tags for loc in locations(page)] == [
        f"{BASE}/tag/climb",
        f"{BASE}/tag/knit",
        f"{BASE}/tag/wool",
    ]
    assert "secret" not in (await nv_client.get("/sitemap/hashtags-2.xml")).text


@pytest.mark.parametrize(
    "name",
    ["videos-2.xml", "videos-0.xml", "videos--1.xml", "videos-x.xml", "pages-1.xml", "videos-1"],
)
async def test_a_sitemap_page_that_does_not_exist_is_not_found(
    nv_client: Any, make_user: Any, make_video: Any, name: str
) -> None:
    await make_video(await make_user("ada", role="creator"))
    answer = await nv_client.get(f"/sitemap/{name}", headers={"accept": "application/json"})
    assert answer.status_code == 404
    assert "/sitemap.xml lists every page" in answer.json()["detail"]


async def test_an_empty_site_has_a_sitemap_with_empty_pages(nv_client: Any) -> None:
    index = parsed(await nv_client.get("/sitemap.xml"))
    assert len(locations(index, "sitemap")) == 4
    assert locations(parsed(await nv_client.get("/sitemap/videos-1.xml"))) == []


class TestASiteKeptFromSearchEngines:
    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory(server={"search_engines": False})

    async def test_asks_crawlers_away_and_has_no_sitemap(self, nv_client: Any) -> None:
        robots = await nv_client.get("/robots.txt")
        assert robots.text == "User-agent: *\nDisallow: /\n"
        for path in ("/sitemap.xml", "/sitemap/videos-1.xml"):
            answer = await nv_client.get(path, headers={"accept": "application/json"})
            assert answer.status_code == 404
            assert "asks search engines not to index it" in answer.json()["detail"]
