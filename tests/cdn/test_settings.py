"""Bad ``[plugin.cdn]`` values stop start-up with one line naming the key; the secret
comes from the environment and is never shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from nichevid.app import create_app
from nichevid.plugins import call_first, make_plugin_manager
from nichevid.settings import ConfigError, Secret, redacted
from nichevid.storage import StorageError
from nichevid_cdn import plugin
from nichevid_cdn.settings import CdnSettings
from nichevid_cdn.storage import CdnStorage

ROOT = Path(__file__).parents[2]
GOOD = {"base_url": "https://cdn.example.com", "signing": "nginx", "secret": "k"}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"base_url": ""}, "plugin.cdn.base_url is not set"),
        ({"base_url": "cdn.example.com"}, "plugin.cdn.base_url 'cdn.example.com' must start"),
        ({"base_url": "ftp://cdn.example.com"}, "must start with https:// or http://"),
        ({"base_url": "https://"}, "and name a host"),
        ({"base_url": "https://cdn.example.com/m?x=1"}, "must not have a query or fragment"),
        ({"base_url": "https://cdn.example.com/#top"}, "must not have a query or fragment"),
        ({"base_url": "https://cdn .example.com"}, "must not contain spaces"),
        ({"base_url": "https://u:p@cdn.example.com"}, "must not carry a user or password"),
        ({"base_url": "https://cdn.example.com:99999"}, "is not a valid URL"),
        ({"base_url": 5}, "plugin.cdn.base_url"),
        ({"signed_base_url": "zone.b-cdn.net"}, "plugin.cdn.signed_base_url 'zone.b-cdn.net'"),
        ({"signing": "akamai"}, "plugin.cdn.signing"),
        ({"secret": ""}, 'plugin.cdn.secret is empty but signing = "nginx" needs it'),
        ({"signing": "bunny", "secret": "  "}, 'signing = "bunny" needs it'),
        ({"secret": {"file": "x"}}, "plugin.cdn.secret"),
        ({"origin": "cdn"}, 'plugin.cdn.origin cannot be "cdn"'),
        ({"origin": ""}, "plugin.cdn.origin is empty"),
        ({"origin": "s3"}, "plugin.cdn.origin 's3' is picked by name"),
        ({"colour": "red"}, "plugin.cdn.colour"),
    ],
)
async def test_bad_settings_stop_start_up(
    nv_settings_factory: Callable[..., Any],
    section: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "cdn")
    settings = nv_settings_factory(plugin={"cdn": {**GOOD, **section}})
    with pytest.raises(ConfigError) as caught:
        await start(settings)
    assert message in str(caught.value), str(caught.value)
    assert "\n" not in str(caught.value)


async def start(settings: Any) -> None:
    """Build the app, then its storage: an unusable origin stops when storage is opened."""
    app = create_app(settings)
    pm = make_plugin_manager(app.state.settings)
    await call_first(pm.hook.storage_backend, settings=app.state.settings)


async def test_a_named_origin_must_be_registered(tmp_path: Path, nv_settings_factory: Any) -> None:
    settings = nv_settings_factory(
        storage={"backend": "cdn"}, plugin={"cdn": {**GOOD, "origin": "nowhere"}}
    )
    pm = make_plugin_manager(settings, extra_plugins=[plugin])
    with pytest.raises(
        ConfigError, match=r"plugin.cdn.origin 'nowhere' is not a storage backend.*local"
    ):
        await call_first(pm.hook.storage_backend, settings=settings)


async def test_a_backend_named_elsewhere_would_bypass_the_cdn(
    nv_settings_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.testing import running

    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "cdn")
    app = create_app(nv_settings_factory(storage={"backend": "local"}, plugin={"cdn": GOOD}))
    with pytest.raises(ConfigError, match=r"storage.backend 'local' bypasses the enabled CDN"):
        async with running(app):
            pass


async def test_check_refuses_settings_that_cannot_work(tmp_path: Path) -> None:
    from nichevid.default_storage import LocalStorage

    config = CdnSettings(base_url="https://cdn.example.com")
    storage = CdnStorage(LocalStorage(tmp_path / "media"), config)
    await storage.check()
    config.signing = "bunny"  # changed after validation: check() still catches it
    with pytest.raises(StorageError, match=r"plugin\.cdn\.secret is empty"):
        await storage.check()
    config.secret = Secret("k")
    await storage.check()
    (tmp_path / "media").chmod(0o500)
    try:
        import os

        if os.geteuid() != 0:
            with pytest.raises(StorageError, match="not writable"):
                await storage.check()
    finally:
        (tmp_path / "media").chmod(0o700)


def test_the_secret_comes_from_the_environment_and_is_redacted(
    nv_settings_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "cdn")
    monkeypatch.setenv("NICHEVID_CDN_SECRET", "from-the-env")
    settings = nv_settings_factory(
        plugin={"cdn": {**GOOD, "secret": {"env": "NICHEVID_CDN_SECRET"}}}
    )
    app = create_app(settings)
    config = app.state.settings.plugin["cdn"]["_parsed"]
    assert config.secret.reveal() == "from-the-env"
    shown = json.dumps(redacted(app.state.settings), default=str)
    assert "from-the-env" not in shown
    assert "env:NICHEVID_CDN_SECRET" in shown


def test_settings_are_plain_msgspec() -> None:
    config = msgspec.convert({"base_url": "https://cdn.example.com/m/"}, CdnSettings, strict=False)
    assert config.base_url == "https://cdn.example.com/m"
    assert config.signing == "none"
    assert config.origin == "local"


def test_every_cdn_setting_is_documented_with_its_default() -> None:
    import re

    text = (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")
    found = dict(re.findall(r"^- `plugin\.cdn\.(\w+)` \(default ([^)]*?)[,:)]", text, re.M))
    assert set(found) == set(CdnSettings.__struct_fields__)
    assert found["signing"] == "`none`"
    assert found["origin"] == "`local`"
    for name in ("base_url", "secret", "signed_base_url"):
        assert found[name].startswith(("empty", "none")), name
