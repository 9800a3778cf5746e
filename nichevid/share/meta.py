"""What a shared link shows: absolute URLs, player sizes and the tags of a video's page.

Twitter/X gets a ``player`` card (the embed page in an iframe) when the site is served
over HTTPS, which that card requires, and a ``summary_large_image`` card (the poster)
otherwise. Open Graph tags are in ``feed/video.html``; Twitter falls back to them for
the title, description and image.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from litestar import Request
from markupsafe import escape

# The embed's default box: the longer side of the video is this many pixels.
EMBED_BOX = 640


def site_base(request: Request[Any, Any, Any]) -> str:
    """The public origin of the site, without a trailing ``/``."""
    configured = request.app.state.settings.server.base_url
    return str(configured or request.base_url).rstrip("/")


def absolute(url: str, base: str) -> str:
    """``url`` as an absolute URL (storage URLs may be paths on this site)."""
    return url if url.startswith(("http://", "https://")) else base + url


def fit(width: int, height: int, max_width: int | None, max_height: int | None) -> tuple[int, int]:
    """The embed size of a ``width`` x ``height`` video: its longer side :data:`EMBED_BOX`,
    then shrunk (keeping the shape) until it fits ``max_width`` x ``max_height``."""
    width, height = (width, height) if width > 0 and height > 0 else (9, 16)
    scale = EMBED_BOX / max(width, height)
    for limit, side in ((max_width, width), (max_height, height)):
        if limit is not None:
            scale = min(scale, limit / side)
    return max(1, int(width * scale)), max(1, int(height * scale))


_FEED_PAGES = re.compile(r"^/(u|tag)/([^/]{1,64})/?$")


def feed_link(path: str) -> str | None:
    """The ``<link>`` to the Atom feed of a profile or hashtag page, for feed readers."""
    match = _FEED_PAGES.match(path)
    if match is None:
        return None
    kind, name = match.groups()
    title = f"@{name}" if kind == "u" else f"#{name}"
    return (
        f'<link rel="alternate" type="application/atom+xml" title="{escape(title)}" '
        f'href="/{kind}/{escape(quote(name, safe=""))}/feed.atom">'
    )


def oembed_link(base: str, slug: str) -> str:
    """The oEmbed URL describing the video page ``slug``."""
    return f"{base}/oembed?url={quote(f'{base}/v/{slug}', safe='')}&format=json"


def head_tags(card: Any, base: str) -> str:
    """The tags the ``video_head`` slot adds to a video's page."""
    page = f"{base}/v/{card.slug}"
    stream = absolute(card.stream_url, base)
    title = escape(card.caption[:100] or f"Video by @{card.username}")
    tags = [
        f'<link rel="canonical" href="{escape(page)}">',
        f'<link rel="alternate" type="application/json+oembed" '
        f'href="{escape(oembed_link(base, card.slug))}" title="{title}">',
    ]
    if stream.startswith("https://"):
        tags.append(f'<meta property="og:video:secure_url" content="{escape(stream)}">')
    if base.startswith("https://"):
        width, height = fit(card.width, card.height, None, None)
        tags += [
            '<meta name="twitter:card" content="player">',
            f'<meta name="twitter:player" content="{escape(base)}/embed/{escape(card.slug)}">',
            f'<meta name="twitter:player:width" content="{width}">',
            f'<meta name="twitter:player:height" content="{height}">',
        ]
        if stream.startswith("https://"):
            tags += [
                f'<meta name="twitter:player:stream" content="{escape(stream)}">',
                '<meta name="twitter:player:stream:content_type" content="video/mp4">',
            ]
    else:
        tags.append('<meta name="twitter:card" content="summary_large_image">')
    return "\n".join(tags)
