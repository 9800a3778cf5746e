"""Atom feeds of a member's videos and of a hashtag, for feed readers and other sites.

``/u/{username}/feed.atom`` and ``/tag/{name}/feed.atom`` list the latest
:data:`FEED_SIZE` open videos (ready, public, not age-restricted), newest first,
each with its page, its caption, its creator and its poster (``media:thumbnail``).
What is not open is never in a feed, whoever asks. The XML is written with the
standard library's ElementTree, which escapes every text and attribute.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from nichevid.accounts.tables import User
from nichevid.media.listing import OPEN_VIDEO
from nichevid.media.tables import Video
from nichevid.replicas import read
from nichevid.share.meta import absolute
from nichevid.social.listing import has_tag

FEED_SIZE = 30
ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
ET.register_namespace("", ATOM)
ET.register_namespace("media", MEDIA)


def _sql(where: str) -> str:
    return (
        "SELECT v.slug, v.caption, v.published_at, v.duration_ms, v.poster_key, v.images, "  # noqa: S608 - table names only
        "u.username, u.display_name "
        f"FROM {Video._meta.tablename} v JOIN {User._meta.tablename} u ON u.id = v.owner "
        f"WHERE {OPEN_VIDEO} AND {where} ORDER BY v.published_at DESC, v.id DESC LIMIT {{}}"
    )


async def member_videos(owner_id: int) -> list[dict[str, Any]]:
    """The latest open videos of one member."""
    return list(await read(Video.raw(_sql("v.owner = {}"), owner_id, FEED_SIZE)))


async def tagged_videos(tag: str) -> list[dict[str, Any]]:
    """The latest open videos carrying ``#tag``."""
    return list(await read(Video.raw(_sql(has_tag()), tag, FEED_SIZE)))


def iso_time(value: Any) -> str:
    """A stored time as ISO 8601 in UTC (``2026-12-05T18:00:00Z``); now when there is none."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_title(caption: str, username: str) -> str:
    """A video's title for feeds: the caption's first line, at most 100 characters."""
    first = caption.strip().splitlines()[0] if caption.strip() else ""
    if not first:
        return f"@{username}"
    return first if len(first) <= 100 else first[:99] + "…"


def poster_key(row: dict[str, Any]) -> str:
    """The storage key of a video row's poster (its JPEG), or ``""``."""
    images = row["images"]
    images = json.loads(images) if isinstance(images, str) else images or {}
    poster = images.get("poster") or images.get("card") or {}
    return str(poster.get("jpg") or row["poster_key"] or "")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


async def atom(
    storage: Any,
    base: str,
    *,
    title: str,
    path: str,
    rows: list[dict[str, Any]],
) -> bytes:
    """The Atom document of ``rows`` for the page at ``path`` (its feed at ``path/feed.atom``)."""
    a, m = f"{{{ATOM}}}", f"{{{MEDIA}}}"
    feed = ET.Element(f"{a}feed")
    _add(feed, f"{a}id", f"{base}{path}")
    _add(feed, f"{a}title", title)
    _add(feed, f"{a}link", rel="self", href=f"{base}{path}/feed.atom")
    _add(feed, f"{a}link", rel="alternate", type="text/html", href=f"{base}{path}")
    updated = iso_time(rows[0]["published_at"]) if rows else iso_time(None)
    _add(feed, f"{a}updated", updated)
    for row in rows:
        page = f"{base}/v/{row['slug']}"
        entry = _add(feed, f"{a}entry")
        _add(entry, f"{a}id", page)
        _add(entry, f"{a}title", entry_title(row["caption"] or "", row["username"]))
        _add(entry, f"{a}link", rel="alternate", type="text/html", href=page)
        published = iso_time(row["published_at"])
        _add(entry, f"{a}published", published)
        _add(entry, f"{a}updated", published)
        author = _add(entry, f"{a}author")
        _add(author, f"{a}name", row["display_name"] or row["username"])
        _add(author, f"{a}uri", f"{base}/u/{row['username']}")
        _add(entry, f"{a}summary", row["caption"] or "", type="text")
        key = poster_key(row)
        if key:
            _add(entry, f"{m}thumbnail", url=absolute(await storage.url(key), base))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
