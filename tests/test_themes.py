"""Themes: template lookup theme -> plugins -> core, static files, missing or broken themes."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nichevid.app import PACKAGE_DIR, THEMES_DIR, build_templates, create_app, theme_dir
from nichevid.plugins import hookimpl, make_plugin_manager
from nichevid.settings import ConfigError
from nichevid.testing import running

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from nv_sample_plugins import greeter  # noqa: E402


def make_theme(root: Path, files: dict[str, str], manifest: str = 'name = "test"\n') -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "theme.toml").write_text(manifest)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


class TemplateDir:
    def __init__(self, path: Path) -> None:
        self.path = path

    @hookimpl
    def register_template_dirs(self) -> list[Path]:
        return [self.path]


def test_lookup_order_is_theme_then_plugins_then_core(
    tmp_path: Path, nv_settings_factory: Callable[..., Any]
) -> None:
    core_text = (PACKAGE_DIR / "templates" / "partials" / "nav.html").read_text()
    plugin_dir = tmp_path / "plugin_templates"
    (plugin_dir / "partials").mkdir(parents=True)
    (plugin_dir / "partials" / "nav.html").write_text("nav from plugin")
    (plugin_dir / "only_plugin.html").write_text("only in plugin")
    theme = make_theme(tmp_path / "mytheme", {"templates/partials/nav.html": "nav from theme"})

    def source(settings: Any, name: str) -> str:
        pm = make_plugin_manager(settings, extra_plugins=[TemplateDir(plugin_dir)])
        env = build_templates(settings, pm)
        assert env.loader is not None
        return env.loader.get_source(env, name)[0]

    themed = nv_settings_factory(theme=str(theme))
    assert source(themed, "partials/nav.html") == "nav from theme"
    assert source(themed, "only_plugin.html") == "only in plugin"
    (theme / "templates" / "partials" / "nav.html").unlink()
    assert source(themed, "partials/nav.html") == "nav from plugin"
    (plugin_dir / "partials" / "nav.html").unlink()
    assert source(themed, "partials/nav.html") == core_text
    assert source(nv_settings_factory(), "partials/nav.html") == core_text


@pytest.mark.usefixtures("_nv_migrated")
async def test_theme_overrides_a_plugin_template_in_a_rendered_page(
    tmp_path: Path, nv_settings_factory: Callable[..., Any]
) -> None:
    theme = make_theme(tmp_path / "t", {"templates/greeter/who.html": "theme says hi {{ who }}"})
    app = create_app(nv_settings_factory(theme=str(theme)), plugins=[greeter])
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        response = await client.get("/greet/page")
    assert response.status_code == 200, response.text
    assert '<p id="greeting">theme says hi world' in response.text


@pytest.mark.usefixtures("_nv_migrated")
async def test_static_files_of_theme_plugins_and_core(
    tmp_path: Path, nv_settings_factory: Callable[..., Any]
) -> None:
    # The theme has no theme.css: the default theme's is served; extra.css is its own.
    theme = make_theme(tmp_path / "t", {"static/extra.css": "body{color:red}"})
    app = create_app(nv_settings_factory(theme=str(theme)), plugins=[greeter])
    default_css = (THEMES_DIR / "default" / "static" / "theme.css").read_text()
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        extra = await client.get("/static/theme/extra.css")
        fallback = await client.get("/static/theme/theme.css")
        plugin = await client.get("/static/plugins/greeter/hello.txt")
        core = await client.get("/static/nichevid.css")
        missing = await client.get("/static/theme/nope.css")
    assert extra.status_code == 200
    assert extra.text == "body{color:red}"
    assert "text/css" in extra.headers["content-type"]
    assert fallback.text == default_css
    assert plugin.text == "plugin static file\n"
    assert core.status_code == 200
    assert missing.status_code == 404


@pytest.mark.usefixtures("_nv_migrated")
async def test_theme_static_overrides_the_default(
    tmp_path: Path, nv_settings_factory: Callable[..., Any]
) -> None:
    theme = make_theme(tmp_path / "t", {"static/theme.css": ":root{--accent:#0a0}"})
    app = create_app(nv_settings_factory(theme=str(theme)))
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert (await client.get("/static/theme/theme.css")).text == ":root{--accent:#0a0}"


def test_theme_by_name_from_the_data_dir(nv_settings_factory: Callable[..., Any]) -> None:
    settings = nv_settings_factory()
    make_theme(settings.data_dir / "themes" / "ocean", {})
    settings = nv_settings_factory(theme="ocean")
    assert theme_dir(settings) == settings.data_dir / "themes" / "ocean"


@pytest.mark.parametrize("theme", ["nope", "/nonexistent/theme"])
def test_missing_theme_stops_start_up(nv_settings_factory: Callable[..., Any], theme: str) -> None:
    with pytest.raises(ConfigError) as info:
        create_app(nv_settings_factory(theme=theme))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"theme {theme!r} not found")
    assert "set theme to 'default' or to a folder with a theme.toml" in message


def test_broken_theme_manifest_stops_start_up(
    tmp_path: Path, nv_settings_factory: Callable[..., Any]
) -> None:
    theme = make_theme(tmp_path / "t", {}, manifest="name = \n")
    with pytest.raises(ConfigError, match=r"theme.toml is not valid TOML"):
        create_app(nv_settings_factory(theme=str(theme)))


def test_default_theme_is_complete() -> None:
    manifest = tomllib.loads((THEMES_DIR / "default" / "theme.toml").read_text())
    assert manifest["name"] == "default"
    assert {"description", "version"} <= set(manifest)
    assert (THEMES_DIR / "default" / "static" / "theme.css").is_file()
