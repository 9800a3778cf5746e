"""Share metadata of a video page: Open Graph, Twitter card, canonical link, oEmbed, embed."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from nichevid.app import create_app
from nichevid.testing import client_for

BASE = "http://127.0.0.1:8000"


def meta(html: str) -> dict[str, list[str]]:
    """Every ``<meta property|name=... content=...>`` of a page."""
    found: dict[str, list[str]] = {}
    for key, value in re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html):
        found.setdefault(key, []).append(value)
    return found


def oembed_url(video_url: str, **extra: str) -> str:
    query = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"/oembed?url={quote(video_url, safe='')}{query}"


async def test_video_page_has_open_graph_twitter_canonical_and_oembed_tags(
    nv_client: Any, make_videos: Any
) -> None:
    [video] = await make_videos(1, caption='Ridge walk at dawn "quoted" <b> #hike')
    html = (await nv_client.get(f"/v/{video.slug}")).text
    tags = meta(html)
    page = f"{BASE}/v/{video.slug}"
    assert tags["og:type"] == ["video.other"]
    assert tags["og:url"] == [page]
    assert tags["og:title"][0].startswith("Ridge walk at dawn &#34;quoted&#34; &lt;b&gt;")
    assert tags["og:description"] == ["Ridge walk at dawn &#34;quoted&#34; &lt;b&gt; #hike"]
    assert tags["og:image"] == [f"{BASE}/media/videos/{video.slug}/poster.jpg"]
    assert tags["og:video"] == [f"{BASE}/media/videos/{video.slug}/360p.mp4"]
    assert tags["og:video:type"] == ["video/mp4"]
    assert (tags["og:video:width"], tags["og:video:height"]) == (["360"], ["640"])
    # Plain HTTP: no secure_url, and the card shows the poster (a player card needs HTTPS).
    assert "og:video:secure_url" not in tags
    assert tags["twitter:card"] == ["summary_large_image"]
    assert "twitter:player" not in tags
    assert f'<link rel="canonical" href="{page}">' in html
    discovery = re.search(
        r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', html
    )
    assert discovery is not None
    assert discovery.group(1).replace("&amp;", "&") == (
        f"{BASE}/oembed?url={quote(page, safe='')}&format=json"
    )
    assert "<b>" not in html.split("</head>")[0].split("<title>")[1]


async def test_https_sites_get_a_player_card_and_secure_urls(
    nv_settings_factory: Any, nv_client: Any, make_videos: Any
) -> None:
    [video] = await make_videos(1, caption="Ridge walk")
    settings = nv_settings_factory(server={"base_url": "https://clips.example/"})
    async with client_for(create_app(settings)) as client:
        tags = meta((await client.get(f"/v/{video.slug}")).text)
    stream = f"https://clips.example/media/videos/{video.slug}/360p.mp4"
    assert tags["og:url"] == [f"https://clips.example/v/{video.slug}"]
    assert tags["og:video"] == [stream]
    assert tags["og:video:secure_url"] == [stream]
    assert tags["twitter:card"] == ["player"]
    assert tags["twitter:player"] == [f"https://clips.example/embed/{video.slug}"]
    assert (tags["twitter:player:width"], tags["twitter:player:height"]) == (["360"], ["640"])
    assert tags["twitter:player:stream"] == [stream]
    assert tags["twitter:player:stream:content_type"] == ["video/mp4"]


async def test_oembed_describes_a_public_video(nv_client: Any, make_videos: Any) -> None:
    [video] = await make_videos(1, caption="Ridge walk <at> dawn")
    response = await nv_client.get(oembed_url(f"{BASE}/v/{video.slug}", format="json"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    assert doc["type"] == "video"
    assert doc["version"] == "1.0"
    assert doc["title"] == "Ridge walk <at> dawn"
    assert doc["author_name"] == "maker"
    assert doc["author_url"] == f"{BASE}/u/maker"
    assert doc["provider_name"] == "nichevid"
    assert doc["provider_url"] == f"{BASE}/"
    assert (doc["width"], doc["height"]) == (360, 640)
    assert doc["html"] == (
        f'<iframe src="{BASE}/embed/{video.slug}" width="360" height="640" '
        'title="Ridge walk &lt;at&gt; dawn" frameborder="0" loading="lazy" '
        'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>'
    )
    assert doc["thumbnail_url"] == f"{BASE}/media/videos/{video.slug}/poster.jpg"
    assert (doc["thumbnail_width"], doc["thumbnail_height"]) == (360, 640)
    # format defaults to json; query strings and a trailing slash on the page URL are fine.
    again = await nv_client.get(oembed_url(f"{BASE}/v/{video.slug}/?utm_source=x"))
    assert again.status_code == 200
    assert again.json()["html"] == doc["html"]


@pytest.mark.parametrize(
    ("limits", "size"),
    [
        ({"maxwidth": "180"}, (180, 320)),
        ({"maxheight": "320"}, (180, 320)),
        ({"maxwidth": "1000", "maxheight": "2000"}, (360, 640)),
        ({"maxwidth": "100", "maxheight": "100"}, (56, 100)),
        ({"maxwidth": "300", "maxheight": "400"}, (225, 400)),
    ],
)
async def test_oembed_honours_maxwidth_and_maxheight(
    nv_client: Any, make_videos: Any, limits: dict[str, str], size: tuple[int, int]
) -> None:
    [video] = await make_videos(1)
    doc = (await nv_client.get(oembed_url(f"{BASE}/v/{video.slug}", **limits))).json()
    assert (doc["width"], doc["height"]) == size
    assert f'width="{size[0]}" height="{size[1]}"' in doc["html"]
    max_width = int(limits.get("maxwidth", 10**6))
    max_height = int(limits.get("maxheight", 10**6))
    if "thumbnail_url" in doc:
        assert doc["thumbnail_width"] <= max_width
        assert doc["thumbnail_height"] <= max_height
    else:
        assert max_width < 360 or max_height < 640


async def test_oembed_thumbnail_is_the_largest_poster_that_fits(
    nv_client: Any, make_videos: Any
) -> None:
    images = {
        name: {"jpg": f"videos/x/{name}.jpg", "webp": f"videos/x/{name}.webp", "width": w,
               "height": h}
        for name, w, h in (("poster", 720, 1280), ("card", 540, 960), ("grid", 240, 427))
    }  # fmt: skip
    [video] = await make_videos(1, images=images, width=720, height=1280)
    url = f"{BASE}/v/{video.slug}"
    full = (await nv_client.get(oembed_url(url))).json()
    assert full["thumbnail_url"] == f"{BASE}/media/videos/x/poster.jpg"
    small = (await nv_client.get(oembed_url(url, maxwidth="300"))).json()
    assert small["thumbnail_url"] == f"{BASE}/media/videos/x/grid.jpg"
    assert (small["thumbnail_width"], small["thumbnail_height"]) == (240, 427)
    tiny = (await nv_client.get(oembed_url(url, maxwidth="100"))).json()
    assert "thumbnail_url" not in tiny
    assert tiny["width"] == 100


@pytest.mark.parametrize("fmt", ["xml", "XML", "yaml"])
async def test_oembed_answers_json_only(nv_client: Any, make_videos: Any, fmt: str) -> None:
    [video] = await make_videos(1)
    response = await nv_client.get(oembed_url(f"{BASE}/v/{video.slug}", format=fmt))
    assert response.status_code == 501
    assert "JSON only" in response.json()["detail"]
    assert "format=json" in response.json()["detail"]


async def test_oembed_refuses_urls_that_are_not_public_videos_here(
    nv_client: Any, make_videos: Any
) -> None:
    [public] = await make_videos(1)
    [private] = await make_videos(1, visibility="private")
    [waiting] = await make_videos(1, status="processing")
    for url in (
        f"https://elsewhere.example/v/{public.slug}",
        f"http://127.0.0.1:8001/v/{public.slug}",
        f"{BASE}/u/maker",
        f"{BASE}/embed/{public.slug}",
        f"{BASE}/v/nosuchvideo",
        f"{BASE}/v/{private.slug}",
        f"{BASE}/v/{waiting.slug}",
        f"javascript://127.0.0.1:8000/v/{public.slug}",
        "not a url",
        "http://[::1",
    ):
        response = await nv_client.get(oembed_url(url))
        assert response.status_code == 404, url
        assert "not a public video of this site" in response.json()["detail"]
    missing = await nv_client.get("/oembed")
    assert missing.status_code == 400
    assert "?url=" in missing.json()["detail"]
    for bad in ("abc", "0", "-5", "1.5"):
        response = await nv_client.get(oembed_url(f"{BASE}/v/{public.slug}", maxwidth=bad))
        assert response.status_code == 400
        assert "maxwidth" in response.json()["detail"]


async def test_embed_page_is_just_the_player(nv_client: Any, make_videos: Any) -> None:
    [video] = await make_videos(1, caption="Ridge <walk>")
    [hidden] = await make_videos(1, visibility="private")
    response = await nv_client.get(f"/embed/{video.slug}")
    assert response.status_code == 200
    html = response.text
    assert f'<video class="nv-embed-video" src="/media/videos/{video.slug}/360p.mp4"' in html
    assert "controls playsinline" in html
    assert f'poster="/media/videos/{video.slug}/poster.jpg"' in html
    assert "<nav" not in html
    assert "<script" not in html
    assert f'<link rel="canonical" href="{BASE}/v/{video.slug}">' in html
    assert "Ridge &lt;walk&gt;" in html
    assert "x-frame-options" not in response.headers
    assert (await nv_client.get(f"/embed/{hidden.slug}")).status_code == 404
    assert (await nv_client.get("/embed/nosuchvideo")).status_code == 404
