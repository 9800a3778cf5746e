"""Sharing as a plugin of the core: oEmbed, the embed page and the video page's head tags."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.share.routes import ShareController

    return [ShareController]


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    video, base = context.get("video"), context.get("base_url")
    if slot == "video_head" and video is not None and base:
        from nichevid.share.meta import head_tags

        return head_tags(video, str(base))
    if slot == "head" and context.get("request") is not None:
        from nichevid.share.meta import feed_link

        return feed_link(context["request"].url.path)
    return None
