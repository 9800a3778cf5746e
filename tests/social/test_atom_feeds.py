"""Atom feeds of a member and of a hashtag: open videos only, newest first, escaped XML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from nichevid.share.feeds import FEED_SIZE

A = "{http://www.w3.org/2005/Atom}"
M = "{http://search.yahoo.com/mrss/}"
BASE = "http://127.0.0.1:8000"


def parsed(response: Any) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert "max-age=300" in response.headers["cache-control"]
    return ET.fromstring(response.content)


async def test_a_members_feed_lists_their_open_videos_newest_first(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    now = datetime.now(UTC)
    ada = await make_user("ada", role="creator")
    other = await make_user("bob", role="creator")
    old = await make_video(
        ada,
        caption='First <b>"light"</b> & more\nsecond line #knit',
        published_at=now - timedelta(days=2),
    )
    new = await make_video(ada, caption="", published_at=now - timedelta(hours=1))
    # Never in a feed: private, followers-only, age-restricted, not ready, someone else's.
    await make_video(ada, visibility="private", published_at=now)
    await make_video(ada, visibility="followers", published_at=now)
    await make_video(ada, age_restricted=True, published_at=now)
    await make_video(ada, status="processing", published_at=now)
    await make_video(other, published_at=now)

    feed = parsed(await nv_client.get("/u/ADA/feed.atom"))
    assert feed.findtext(f"{A}id") == f"{BASE}/u/ada"
    assert feed.findtext(f"{A}title").startswith("ada (@ada)")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links == {"self": f"{BASE}/u/ada/feed.atom", "alternate": f"{BASE}/u/ada"}
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [
        f"{BASE}/v/{new.slug}",
        f"{BASE}/v/{old.slug}",
    ]
    assert feed.findtext(f"{A}updated") == entries[0].findtext(f"{A}published")
    assert entries[0].findtext(f"{A}title") == "@ada"  # no caption
    assert entries[1].findtext(f"{A}title") == 'First <b>"light"</b> & more'
    assert entries[1].findtext(f"{A}summary").endswith("second line #knit")
    assert entries[1].find(f"{A}author").findtext(f"{A}uri") == f"{BASE}/u/ada"
    thumb = entries[1].find(f"{M}thumbnail").get("url")
    assert thumb.startswith(f"{BASE}/media/")
    assert entries[1].findtext(f"{A}published").endswith("Z")


async def test_a_hashtag_feed_and_the_pages_that_link_to_feeds(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    for _ in range(FEED_SIZE + 2):
        await make_video(ada, caption="#knit", hashtags=["knit"])
    await make_video(ada, caption="#crochet", hashtags=["crochet"])
    feed = parsed(await nv_client.get("/tag/Knit/feed.atom"))
    assert feed.findtext(f"{A}title").startswith("#knit")
    assert len(feed.findall(f"{A}entry")) == FEED_SIZE
    empty = parsed(await nv_client.get("/tag/nothing_here/feed.atom"))
    assert empty.findall(f"{A}entry") == []
    assert empty.findtext(f"{A}updated")

    profile = (await nv_client.get("/u/ada")).text
    assert 'type="application/atom+xml" title="@ada" href="/u/ada/feed.atom"' in profile
    tag_page = (await nv_client.get("/tag/knit")).text
    assert 'href="/tag/knit/feed.atom"' in tag_page
    assert "application/atom+xml" not in (await nv_client.get("/search")).text


async def test_feeds_of_nobody_and_of_no_hashtag_are_404(nv_client: Any) -> None:
    for path in ("/u/nobody/feed.atom", "/u/" + "x" * 300 + "/feed.atom"):
        missing = await nv_client.get(path)
        assert missing.status_code == 404
        assert "no member called" in missing.json()["detail"]
    bad = await nv_client.get("/tag/not%20a%20tag!/feed.atom")
    assert bad.status_code == 404
    assert "That is not a hashtag" in bad.json()["detail"]
