"""The installable app: its manifest, icons, service worker and offline page."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from nichevid import __version__

HTML = {"accept": "text/html"}


async def test_the_manifest_names_the_site_its_icons_and_the_theme_colours(
    nv_client: Any,
) -> None:
    answer = await nv_client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert (manifest["name"], manifest["short_name"]) == ("nichevid", "nichevid")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    assert manifest["background_color"] == manifest["theme_color"] == "#0b0b0f"
    for icon in manifest["icons"]:
        picture = await nv_client.get(icon["src"])
        assert picture.status_code == 200
        width, height = Image.open(BytesIO(picture.content)).size
        assert f"{width}x{height}" == icon["sizes"]
    assert [i.get("purpose") for i in manifest["icons"]].count("maskable") == 1
    page = (await nv_client.get("/", headers=HTML)).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#0b0b0f">' in page
    assert 'navigator.serviceWorker.register("/sw.js")' in page


async def test_the_service_worker_keeps_a_cache_per_release(nv_client: Any) -> None:
    answer = await nv_client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    assert f'var CACHE = "nichevid-{__version__}";' in answer.text
    assert "__VERSION__" not in answer.text
    offline = await nv_client.get("/offline", headers=HTML)
    assert offline.status_code == 200
    assert "You are offline" in offline.text


class TestATheme:
    """A theme of the operator's own, with its name and colours."""

    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any, tmp_path: Path) -> Any:
        theme = tmp_path / "bouldering"
        theme.mkdir()
        (theme / "theme.toml").write_text(
            'name = "bouldering"\nbackground_color = "#fafafa"\ntheme_color = "#004d40"\n'
        )
        return nv_settings_factory(theme=str(theme), site_name="Saturday Bouldering Club")

    async def test_gives_the_installed_app_its_name_and_colours(self, nv_client: Any) -> None:
        manifest = (await nv_client.get("/manifest.webmanifest")).json()
        assert manifest["name"] == "Saturday Bouldering Club"
        assert manifest["short_name"] == "Saturday Bo…"
        assert (manifest["background_color"], manifest["theme_color"]) == ("#fafafa", "#004d40")
        page = (await nv_client.get("/", headers=HTML)).text
        assert '<meta name="theme-color" content="#004d40">' in page
