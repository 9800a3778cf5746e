"""The feed as an installable app: the web app manifest, a service worker and its offline page.

* ``/manifest.webmanifest``: the site's name, its icons (``static/icons/``, a theme's
  own first), standalone display, and the colours of the theme
  (``background_color`` and ``theme_color`` in ``theme.toml``).
* ``/sw.js``: keeps the offline page, styles and icons, and shows that page when a
  page cannot be fetched. Scripts and styles come from the network whenever it
  answers (the cache only stands in when it does not), the watch events a page
  posts as it goes away are sent by the worker itself (so they outlive the page),
  media and everything else that is not a plain ``GET`` of this site are never
  touched, and each release gets a cache of its own, so nothing of an older
  version lingers.
* ``/offline``: what a member sees on a page they open without a connection.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Template

from nichevid import __version__
from nichevid.app import PACKAGE_DIR, theme_chain
from nichevid.settings import Settings

SERVICE_WORKER = PACKAGE_DIR / "static" / "sw.js"
DEFAULT_COLOURS = {"background_color": "#0b0b0f", "theme_color": "#0b0b0f"}
SHORT_NAME_LENGTH = 12


@lru_cache(maxsize=8)
def _theme_colours(themes: tuple[Path, ...]) -> dict[str, str]:
    colours = dict(DEFAULT_COLOURS)
    for theme in reversed(themes):  # the chosen theme wins over the default it extends
        described = tomllib.loads((theme / "theme.toml").read_text(encoding="utf-8"))
        colours.update({k: str(described[k]) for k in DEFAULT_COLOURS if k in described})
    return colours


def colours(settings: Settings) -> dict[str, str]:
    """``background_color`` and ``theme_color`` of the configured theme."""
    return _theme_colours(tuple(theme_chain(settings)))


def manifest(settings: Settings) -> dict[str, Any]:
    """The web app manifest."""
    name = settings.site_name
    short = name if len(name) <= SHORT_NAME_LENGTH else name[: SHORT_NAME_LENGTH - 1] + "…"
    icon = "/static/icons/{}".format
    return {
        "name": name,
        "short_name": short,
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        **colours(settings),
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": icon("maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


@lru_cache(maxsize=1)
def _worker_source() -> str:
    return SERVICE_WORKER.read_text(encoding="utf-8").replace("__VERSION__", __version__)


class InstallableController(Controller):
    """The manifest, the service worker and the offline page."""

    include_in_schema = False

    @get("/manifest.webmanifest", sync_to_thread=False)
    def manifest(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """The web app manifest."""
        return Response(
            manifest(request.app.state.settings),
            media_type="application/manifest+json",
            headers={"cache-control": "public, max-age=3600"},
        )

    @get("/sw.js", sync_to_thread=False)
    def service_worker(self) -> Response[str]:
        """The service worker; browsers check it for a new release on every visit."""
        return Response(
            _worker_source(),
            media_type="text/javascript; charset=utf-8",
            headers={"cache-control": "no-cache"},
        )

    @get("/offline", sync_to_thread=False)
    def offline(self) -> Template:
        """The page the service worker shows when a page cannot be fetched."""
        return Template("offline.html", context={"user": None})
