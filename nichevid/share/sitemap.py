"""``/robots.txt`` and the sitemaps search engines read (``/sitemap.xml``).

The sitemap index lists pages of at most :data:`PAGE_SIZE` addresses each:

* ``/sitemap/videos-<n>.xml``: open videos (ready, public, not age-restricted, of an
  active member), oldest first so a page keeps its addresses as videos are added,
  each with the video extension search engines show videos from (poster, title,
  caption, the embeddable player, the duration, the publication date);
* ``/sitemap/people-<n>.xml``: the profiles of active members with an open video;
* ``/sitemap/hashtags-<n>.xml``: the hashtags of open videos;
* ``/sitemap/playlists-<n>.xml``: the playlists of active members holding an open video.

With ``server.search_engines = false`` robots.txt asks every crawler to stay away
and there is no sitemap (404), for communities that keep to themselves.
"""

from __future__ import annotations

import math
import re
from typing import Any
from xml.etree import ElementTree as ET

from piccolo.engine.sqlite import SQLiteEngine

from nichevid.accounts.tables import User
from nichevid.media.listing import OPEN_VIDEO
from nichevid.media.tables import Video
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.replicas import read
from nichevid.share.feeds import entry_title, iso_time, poster_key
from nichevid.share.meta import absolute

PAGE_SIZE = 10_000
KINDS = ("videos", "people", "hashtags", "playlists")
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
VIDEO = "http://www.google.com/schemas/sitemap-video/1.1"
CONTENT_TYPE = "application/xml; charset=utf-8"
PAGE_NAME = re.compile(r"^(videos|people|hashtags|playlists)-(\d{1,6})\.xml$")
# What crawlers have no business in: members' own pages, forms, operators' pages, APIs.
PRIVATE_PATHS = (
    "/admin",
    "/api/",
    "/feed/next",
    "/login",
    "/moderation",
    "/notifications",
    "/settings",
    "/signup",
    "/studio",
    "/upload",
)
ET.register_namespace("", SITEMAP)
ET.register_namespace("video", VIDEO)

_OPEN = f"{OPEN_VIDEO} AND u.is_active"
_FROM = f"FROM {Video._meta.tablename} v JOIN {User._meta.tablename} u ON u.id = v.owner"


def robots(base: str, indexed: bool) -> str:
    """The text of ``/robots.txt``."""
    if not indexed:
        return "User-agent: *\nDisallow: /\n"
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS)]
    return "\n".join([*lines, "", f"Sitemap: {base}/sitemap.xml", ""])


def page_of(name: str) -> tuple[str, int] | None:
    """``("videos", 1)`` for ``videos-1.xml``; ``None`` for a name no page has."""
    found = PAGE_NAME.match(name)
    if found is None or int(found.group(2)) < 1:
        return None
    return found.group(1), int(found.group(2))


def _tags_sql(count: bool) -> str:
    if isinstance(Video._meta.db, SQLiteEngine):
        each, tag = "json_each(v.hashtags) t", "t.value"
    else:
        each, tag = "json_array_elements_text(v.hashtags) AS t(tag)", "t.tag"
    if count:
        return f"SELECT count(DISTINCT {tag}) AS n {_FROM}, {each} WHERE {_OPEN}"
    return (
        f"SELECT {tag} AS tag, max(v.published_at) AS published_at {_FROM}, {each} "
        f"WHERE {_OPEN} GROUP BY {tag} ORDER BY {tag} LIMIT {{}} OFFSET {{}}"
    )


_PLAYLISTS = f"""
    FROM {Playlist._meta.tablename} p JOIN {User._meta.tablename} u ON u.id = p.owner
    WHERE u.is_active AND EXISTS (
        SELECT 1 FROM {PlaylistItem._meta.tablename} i JOIN {Video._meta.tablename} v
            ON v.id = i.video
         WHERE i.playlist = p.id AND {OPEN_VIDEO})
"""  # noqa: S608 - table names and fixed conditions only
_COUNTS = {
    "videos": f"SELECT count(*) AS n {_FROM} WHERE {_OPEN}",
    "people": f"SELECT count(DISTINCT v.owner) AS n {_FROM} WHERE {_OPEN}",
    "playlists": f"SELECT count(*) AS n {_PLAYLISTS}",
}
_PAGES = {
    "videos": (
        "SELECT v.slug, v.caption, v.published_at, v.duration_ms, v.poster_key, v.images, "
        f"u.username {_FROM} WHERE {_OPEN} ORDER BY v.id LIMIT {{}} OFFSET {{}}"
    ),
    "people": (
        "SELECT u.username, max(v.published_at) AS published_at "
        f"{_FROM} WHERE {_OPEN} GROUP BY u.username ORDER BY u.username LIMIT {{}} OFFSET {{}}"
    ),
    "playlists": (
        f"SELECT p.id, u.username, p.updated_at AS published_at {_PLAYLISTS} "
        "ORDER BY p.id LIMIT {} OFFSET {}"
    ),
}


async def pages(kind: str) -> int:
    """How many sitemap pages of ``kind`` there are (at least one, maybe empty)."""
    sql = _tags_sql(count=True) if kind == "hashtags" else _COUNTS[kind]
    rows = await read(Video.raw(sql))
    return max(1, math.ceil(int(rows[0]["n"]) / PAGE_SIZE))


async def index(base: str) -> bytes:
    """The sitemap index: every page of every kind."""
    root = ET.Element(f"{{{SITEMAP}}}sitemapindex")
    for kind in KINDS:
        for number in range(1, await pages(kind) + 1):
            entry = ET.SubElement(root, f"{{{SITEMAP}}}sitemap")
            _text(entry, "loc", f"{base}/sitemap/{kind}-{number}.xml")
    return _xml(root)


async def page(storage: Any, base: str, kind: str, number: int) -> bytes | None:
    """Sitemap page ``number`` of ``kind``, or ``None`` past the last one."""
    if number > await pages(kind):
        return None
    sql = _tags_sql(count=False) if kind == "hashtags" else _PAGES[kind]
    rows = await read(Video.raw(sql, PAGE_SIZE, (number - 1) * PAGE_SIZE))
    root = ET.Element(f"{{{SITEMAP}}}urlset")
    for row in rows:
        url = ET.SubElement(root, f"{{{SITEMAP}}}url")
        if kind == "videos":
            _text(url, "loc", f"{base}/v/{row['slug']}")
            await _video(url, storage, base, row)
        elif kind == "people":
            _text(url, "loc", f"{base}/u/{row['username']}")
        elif kind == "playlists":
            _text(url, "loc", f"{base}/u/{row['username']}/playlists/{row['id']}")
        else:
            _text(url, "loc", f"{base}/tag/{row['tag']}")
        if row["published_at"] is not None:
            _text(url, "lastmod", iso_time(row["published_at"]))
    return _xml(root)


async def _video(url: ET.Element, storage: Any, base: str, row: dict[str, Any]) -> None:
    key = poster_key(row)
    if not key:
        return  # search engines take no video entry without a thumbnail
    v = f"{{{VIDEO}}}"
    video = ET.SubElement(url, f"{v}video")
    ET.SubElement(video, f"{v}thumbnail_loc").text = absolute(await storage.url(key), base)
    ET.SubElement(video, f"{v}title").text = entry_title(row["caption"] or "", row["username"])
    caption = (row["caption"] or "").strip() or f"@{row['username']}"
    ET.SubElement(video, f"{v}description").text = caption[:2048]
    ET.SubElement(video, f"{v}player_loc").text = f"{base}/embed/{row['slug']}"
    seconds = int(row["duration_ms"] or 0) // 1000
    if 1 <= seconds <= 28_800:
        ET.SubElement(video, f"{v}duration").text = str(seconds)
    if row["published_at"] is not None:
        ET.SubElement(video, f"{v}publication_date").text = iso_time(row["published_at"])


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{SITEMAP}}}{tag}").text = text


def _xml(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
