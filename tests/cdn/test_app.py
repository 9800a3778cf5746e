"""Through the app: cards and video pages carry the CDN's URLs; restricted videos only
signed ones, and only for viewers who are let in."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nichevid.media import services
from nichevid.social.follows import set_follow
from nichevid.testing.factories import ready_video
from nichevid_cdn.settings import CdnSettings
from nichevid_cdn.storage import CdnStorage

from .conftest import CDN, login

HTML = {"accept": "text/html"}


def media_urls(html: str) -> list[str]:
    """Every URL of a stored file the page carries (CDN or media route)."""
    found = re.findall(r'"((?:https://cdn\.example\.com)?/media/videos/[^"]+)"', html)
    return [url.replace("&amp;", "&") for url in found]


async def test_the_app_uses_the_cdn_adapter(nv_client: Any, nv_resources: Any) -> None:
    storage = nv_resources.storage
    assert isinstance(storage, CdnStorage)
    assert storage.origin.root == (nv_resources.settings.data_dir / "media").resolve()
    await storage.check()


async def test_public_videos_stream_from_the_cdn(nv_client: Any, make_user: Any) -> None:
    cara = await make_user("cara", role="creator")
    video = await ready_video(cara, caption="yarn")
    page = await nv_client.get(f"/v/{video.slug}", headers=HTML)
    assert page.status_code == 200
    assert f"{CDN}/videos/{video.slug}/360p.mp4" in page.text
    assert f"{CDN}/videos/{video.slug}/poster" in page.text
    assert not [url for url in media_urls(page.text) if url.startswith("/media/")]
    feed = await nv_client.get("/@cara", headers=HTML, follow_redirects=True)
    assert feed.status_code == 200
    assert f"{CDN}/videos/{video.slug}/" in feed.text


async def test_restricted_videos_get_signed_cdn_urls_for_admitted_viewers_only(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    cara = await make_user("cara", role="creator")
    ann = await make_user("ann")
    await make_user("bob")
    await set_follow(ann, cara, True)
    followers = await ready_video(cara, visibility="followers")
    subscribers = await ready_video(cara, visibility="subscribers")
    for viewer, video in [("ann", followers), ("cara", subscribers)]:
        await login(nv_client, viewer)
        page = await nv_client.get(f"/v/{video.slug}", headers=HTML)
        assert page.status_code == 200, (viewer, page.status_code)
        urls = set(media_urls(page.text))
        assert any("/360p.mp4?" in url for url in urls), urls
        for src in urls:
            assert src.startswith(f"{CDN}/videos/{video.slug}/"), src
            query = parse_qs(urlsplit(src).query)
            assert set(query) == {"md5", "expires"}, src
            assert 0 < int(query["expires"][0]) - time.time() <= 300
        await nv_client.post("/logout", headers=HTML)
        nv_client.cookies.clear()
    for viewer, video in [("bob", followers), ("ann", subscribers), (None, followers)]:
        if viewer:
            await login(nv_client, viewer)
        page = await nv_client.get(f"/v/{video.slug}", headers=HTML)
        assert media_urls(page.text) == [], (viewer, video.visibility)
        assert "md5=" not in page.text
        nv_client.cookies.clear()


async def test_without_signing_restricted_media_stays_on_the_signed_media_route(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    cara = await make_user("cara", role="creator")
    video = await ready_video(cara, visibility="followers")
    origin = nv_resources.storage.origin
    key = f"videos/{video.slug}/360p.mp4"
    await origin.put_bytes(key, b"mp4 bytes")
    unsigned = CdnStorage(origin, CdnSettings(base_url=CDN))
    resources = SimpleNamespace(
        settings=nv_resources.settings, storage=unsigned, pm=nv_resources.pm
    )
    url = await services.media_url(resources, video, key, cara)
    assert url.startswith(f"/media/{key}?exp="), url
    assert "sig=" in url
    answer = await nv_client.get(url)
    assert answer.status_code == 200
    assert answer.content == b"mp4 bytes"
    assert (await nv_client.get(f"/media/{key}")).status_code == 403


async def test_the_media_route_still_serves_the_origins_public_files(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    cara = await make_user("cara", role="creator")
    video = await ready_video(cara)
    key = f"videos/{video.slug}/360p.mp4"
    await nv_resources.storage.put_bytes(key, b"0123456789")
    answer = await nv_client.get(f"/media/{key}", headers={"Range": "bytes=2-4"})
    assert answer.status_code == 206
    assert answer.content == b"234"
    assert answer.headers["cache-control"].startswith("public")
