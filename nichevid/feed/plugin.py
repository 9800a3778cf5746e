"""The feed as a plugin of the core: its tables, pages and the ``demo`` command."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.feed.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.feed.routes import FeedController

    return [FeedController]


@hookimpl
def register_cli_commands() -> list[Any]:
    from nichevid.demo import demo

    return [demo]
