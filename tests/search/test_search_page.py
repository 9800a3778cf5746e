"""The search page: sections, tabs, htmx results as you type, escaping, the nav link."""

from __future__ import annotations

import re
from typing import Any

HX = {"HX-Request": "true"}


def video_links(html: str) -> list[str]:
    return re.findall(r'<li class="nv-search-video">\s*<a href="/v/([^"]+)"', html)


async def test_the_page_shows_videos_people_and_hashtags(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("knitter", role="creator", display_name="<b>Ada</b>")
    video = await make_video(ada, "<script>alert(1)</script> knitting #knitting")
    response = await nv_client.get("/search?q=knit")
    assert response.status_code == 200
    html = response.text
    assert "<html" in html
    assert 'role="search"' in html
    assert 'value="knit"' in html
    assert video_links(html) == [video.slug]
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="/u/knitter"' in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html
    assert 'href="/tag/knitting"' in html
    assert "1 video" in html
    assert f"/media/videos/{video.slug}/poster.webp" in html
    assert 'aria-current="page">All<' in html


async def test_htmx_gets_only_the_results_while_typing(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    video = await make_video(ada, "knitting")
    for typed in ("k", "kn", "kni", "knit"):
        response = await nv_client.get(f"/search?q={typed}&type=all", headers=HX)
        assert response.status_code == 200
        assert "<html" not in response.text
        assert "nv-search-tabs" in response.text
        assert video_links(response.text) == [video.slug], typed
    page = (await nv_client.get("/search")).text
    assert 'hx-get="/search"' in page
    assert "delay:250ms" in page
    assert 'hx-replace-url="true"' in page


async def test_one_kind_pages_with_a_more_button(
    nv_client: Any, make_user: Any, make_video: Any, monkeypatch: Any
) -> None:
    from nichevid.search import routes

    monkeypatch.setattr(routes, "PAGE_LIMIT", 2)
    ada = await make_user("ada", role="creator")
    made = [await make_video(ada, f"knitting {i}") for i in range(3)]
    first = await nv_client.get("/search?q=knit&type=videos")
    assert 'aria-current="page">Videos<' in first.text
    assert "nv-search-people" not in first.text
    assert len(video_links(first.text)) == 2
    more = re.search(r'hx-get="(/search\?q=knit&amp;type=videos&amp;offset=2)"', first.text)
    assert more is not None
    rest = await nv_client.get(more.group(1).replace("&amp;", "&"), headers=HX)
    assert "<html" not in rest.text
    assert "nv-search-tabs" not in rest.text
    assert len(video_links(rest.text)) == 1
    assert "offset=4" not in rest.text
    shown = video_links(first.text) + video_links(rest.text)
    assert sorted(shown) == sorted(v.slug for v in made)


async def test_empty_and_wordless_queries_explain_themselves(nv_client: Any) -> None:
    empty = await nv_client.get("/search")
    assert empty.status_code == 200
    assert "Type a word" in empty.text
    symbols = await nv_client.get("/search?q=%22*%3A()-%5E")
    assert symbols.status_code == 200
    assert "only letters and digits count" in symbols.text
    nothing = await nv_client.get("/search?q=zzzzqqq")
    assert "Nothing found" in nothing.text


async def test_a_bad_type_is_a_clear_400(nv_client: Any) -> None:
    response = await nv_client.get("/search?q=knit&type=clips", headers={"accept": "text/html"})
    assert response.status_code == 400
    assert "type must be one of: all, videos, people, hashtags" in response.text


async def test_every_page_links_to_search(nv_client: Any) -> None:
    html = (await nv_client.get("/")).text
    assert '<a class="nv-nav-search" href="/search">' in html
