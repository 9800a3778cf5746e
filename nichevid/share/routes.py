"""oEmbed (``GET /oembed``), the player-only page other sites frame (``/embed/{slug}``),
and the Atom feeds of members and hashtags (:mod:`nichevid.share.feeds`).

Only ready public videos are described or embedded; any other URL answers 404 as if
the video did not exist. oEmbed is answered in JSON only.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from markupsafe import escape

from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.media.listing import Card, public_card
from nichevid.share import feeds, sitemap
from nichevid.share.meta import absolute, fit, site_base
from nichevid.social import follows, hashtags
from nichevid.social.errors import SocialError

_VIDEO_PATH = re.compile(r"^/v/([A-Za-z0-9_-]{1,16})/?$")
# How long consumers may keep an answer, in seconds.
CACHE_AGE = 3600
# How long feed readers may keep a feed, in seconds.
FEED_CACHE_AGE = 300
SITEMAP_CACHE_AGE = 3600


class OEmbed(msgspec.Struct, omit_defaults=True):
    """An oEmbed 1.0 ``video`` response."""

    type: str
    version: str
    title: str
    author_name: str
    author_url: str
    provider_name: str
    provider_url: str
    html: str
    width: int
    height: int
    cache_age: int
    thumbnail_url: str | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


def _slug_of(url: str, base: str) -> str | None:
    """The video slug of a page URL of this site, or ``None`` for anything else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    site = urlsplit(base)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != site.netloc.lower():
        return None
    match = _VIDEO_PATH.match(parts.path)
    return match.group(1) if match else None


def _positive(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or not 0 < int(value) <= 100_000:
        raise HTTPException(
            status_code=400, detail=gettext("%(name)s must be a whole number of pixels.", name=name)
        )
    return int(value)


def _thumbnail(video: Any, card: Card, limits: tuple[int | None, int | None]) -> dict[str, Any]:
    """The largest stored poster that fits the limits (none when none fits)."""
    images = media.images_of(video)
    sizes = [images[name] for name in ("poster", "card", "grid") if name in images]
    if not sizes and card.poster_jpeg_url:
        sizes = [{"url": card.poster_jpeg_url, "width": card.width, "height": card.height}]
    max_width, max_height = limits
    for size in sizes:
        width, height = int(size.get("width") or 0), int(size.get("height") or 0)
        if (max_width and width > max_width) or (max_height and height > max_height):
            continue
        return {"key": size.get("jpg"), "url": size.get("url"), "width": width, "height": height}
    return {}


class ShareController(Controller):
    """Descriptions and embeds of public videos for other sites."""

    path = "/"
    tags = ["share"]

    @get("/oembed")
    async def oembed(
        self,
        request: Request[Any, Any, Any],
        url: FromQuery[str | None] = None,
        format: FromQuery[str] = "json",
        maxwidth: FromQuery[str | None] = None,
        maxheight: FromQuery[str | None] = None,
    ) -> OEmbed:
        """oEmbed for a video page URL: a ``video`` with an iframe of ``/embed/{slug}``."""
        if format != "json":
            raise HTTPException(
                status_code=501,
                detail=gettext(
                    "This site answers oEmbed in JSON only; ask again with format=json."
                ),
            )
        if not url:
            raise HTTPException(status_code=400, detail=gettext("Give the video page in ?url=."))
        limits = (_positive("maxwidth", maxwidth), _positive("maxheight", maxheight))
        base = site_base(request)
        slug = _slug_of(url, base)
        resources = request.app.state.resources
        card = await public_card(resources, slug) if slug else None
        video = await media.get_video(slug=slug) if card and slug else None
        if card is None or video is None or not media.is_open(video):
            raise NotFoundException(
                gettext(
                    "That URL is not a public video of this site; "
                    "give the URL of a video page (/v/…)."
                )
            )
        width, height = fit(card.width, card.height, *limits)
        title = card.caption or f"Video by @{card.username}"
        player = f"{base}/embed/{card.slug}"
        html = (
            f'<iframe src="{escape(player)}" width="{width}" height="{height}" '
            f'title="{escape(title[:100])}" frameborder="0" loading="lazy" '
            f'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>'
        )
        answer = OEmbed(
            type="video",
            version="1.0",
            title=title,
            author_name=card.creator,
            author_url=f"{base}/u/{card.username}",
            provider_name=request.app.state.settings.site_name,
            provider_url=f"{base}/",
            html=html,
            width=width,
            height=height,
            cache_age=CACHE_AGE,
        )
        thumb = _thumbnail(video, card, limits)
        if thumb:
            link = thumb["url"] or await resources.storage.url(thumb["key"])
            answer.thumbnail_url = absolute(str(link), base)
            answer.thumbnail_width, answer.thumbnail_height = thumb["width"], thumb["height"]
        return answer

    @get("/embed/{slug:str}", include_in_schema=False, opt={"anonymous_cache": True})
    async def embed(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """Just the player of a public video, for other sites to frame."""
        card = await public_card(request.app.state.resources, slug)
        if card is None:
            raise NotFoundException(gettext("This video does not exist or is not public."))
        return Template(
            template_name="share/embed.html",
            context={"card": card, "base_url": site_base(request)},
        )

    @get("/robots.txt", include_in_schema=False)
    async def robots(self, request: Request[Any, Any, Any]) -> Response[str]:
        """What crawlers may read, and where the sitemap is."""
        indexed = request.app.state.settings.server.search_engines
        return Response(
            sitemap.robots(site_base(request), indexed),
            media_type="text/plain; charset=utf-8",
            headers={"cache-control": f"public, max-age={SITEMAP_CACHE_AGE}"},
        )

    @get("/sitemap.xml", include_in_schema=False)
    async def sitemap_index(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The sitemap index: every page of videos, people and hashtags."""
        _indexed_or_not_found(request)
        return _sitemap(await sitemap.index(site_base(request)))

    @get("/sitemap/{name:str}", include_in_schema=False)
    async def sitemap_page(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Any:
        """One page of the sitemap (``videos-1.xml``, ``people-2.xml``, ``hashtags-1.xml``)."""
        _indexed_or_not_found(request)
        found = sitemap.page_of(name)
        body = None
        if found is not None:
            storage = request.app.state.resources.storage
            body = await sitemap.page(storage, site_base(request), *found)
        if body is None:
            raise NotFoundException(
                gettext("There is no such sitemap page; /sitemap.xml lists every page.")
            )
        return _sitemap(body)

    @get("/u/{username:str}/feed.atom", include_in_schema=False)
    async def member_feed(self, request: Request[Any, Any, Any], username: FromPath[str]) -> Any:
        """The member's latest open videos as an Atom feed."""
        try:
            member = await follows.member(username)
        except SocialError as exc:
            raise NotFoundException(exc.message) from exc
        rows = await feeds.member_videos(member.id)
        site = request.app.state.settings.site_name
        title = f"{member.display_name or member.username} (@{member.username}) · {site}"
        return await _feed(request, title, f"/u/{member.username}", rows)

    @get("/tag/{name:str}/feed.atom", include_in_schema=False)
    async def hashtag_feed(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Any:
        """The latest open videos of a hashtag as an Atom feed."""
        tag = hashtags.tag_or_not_found(name)
        rows = await feeds.tagged_videos(tag)
        site = request.app.state.settings.site_name
        return await _feed(request, f"#{tag} · {site}", f"/tag/{tag}", rows)


def _indexed_or_not_found(request: Request[Any, Any, Any]) -> None:
    if not request.app.state.settings.server.search_engines:
        raise NotFoundException(
            gettext("This site asks search engines not to index it, so it has no sitemap.")
        )


def _sitemap(body: bytes) -> Response[bytes]:
    return Response(
        body,
        media_type=sitemap.CONTENT_TYPE,
        headers={"cache-control": f"public, max-age={SITEMAP_CACHE_AGE}"},
    )


async def _feed(
    request: Request[Any, Any, Any], title: str, path: str, rows: list[dict[str, Any]]
) -> Response[bytes]:
    body = await feeds.atom(
        request.app.state.resources.storage, site_base(request), title=title, path=path, rows=rows
    )
    return Response(
        body,
        media_type=feeds.CONTENT_TYPE,
        headers={"cache-control": f"public, max-age={FEED_CACHE_AGE}"},
    )
