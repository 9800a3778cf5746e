"""Search as a plugin of the core: its indexes, the page and the API."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.search.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.search.routes import SearchApi, SearchPage

    return [SearchPage, SearchApi]
