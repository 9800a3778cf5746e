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
    from nichevid.feed.events_api import WatchEventsApi
    from nichevid.feed.history import HistoryPages
    from nichevid.feed.routes import FeedController

    return [FeedController, WatchEventsApi, HistoryPages]


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid.feed.settings import SECTION, FeedSettings

    return {SECTION: FeedSettings}


@hookimpl
def register_lifespan() -> list[Any]:
    from nichevid.feed.events_api import watch_events_lifespan

    return [watch_events_lifespan]


@hookimpl
def register_cli_commands() -> list[Any]:
    from nichevid.demo import demo

    return [demo]
