"""Bad ``[plugin.s3]`` values stop start-up with one line naming the key; the secret
key comes from the environment and is never shown."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.plugins import call_first, make_plugin_manager
from nichevid.settings import ConfigError, redacted
from nichevid_storage_s3.settings import S3Settings
from nichevid_storage_s3.storage import S3Storage

ROOT = Path(__file__).parents[2]
GOOD = {
    "bucket": "media-bucket",
    "endpoint_url": "http://127.0.0.1:8333",
    "access_key_id": "key",
    "secret_access_key": "secret",
}


@pytest.fixture
def nv_settings() -> None:
    """These tests build their own settings (no bucket is needed to refuse them)."""


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"bucket": ""}, "plugin.s3.bucket is not set"),
        ({"bucket": "My_Bucket"}, "plugin.s3.bucket 'My_Bucket' is not a valid bucket name"),
        ({"bucket": "ab"}, "is not a valid bucket name"),
        ({"bucket": "a..b"}, "is not a valid bucket name"),
        ({"endpoint_url": "s3.example.com"}, "plugin.s3.endpoint_url 's3.example.com' must"),
        ({"endpoint_url": "http://s3.example.com/?x=1"}, "must not have a query or fragment"),
        ({"endpoint_url": "http://u:p@s3.example.com"}, "must not carry a user or password"),
        ({"browser_endpoint_url": "ftp://x"}, "plugin.s3.browser_endpoint_url 'ftp://x'"),
        ({"region": ""}, "plugin.s3.region '' is not a region name"),
        ({"region": "eu central"}, "is not a region name"),
        ({"prefix": "media"}, "plugin.s3.prefix 'media' must be a folder"),
        ({"prefix": "/media/"}, "must be a folder"),
        ({"prefix": "a//b/"}, "must be a folder"),
        ({"secret_access_key": ""}, "access_key_id and plugin.s3.secret_access_key go together"),
        ({"access_key_id": ""}, "go together"),
        ({"part_size_mb": 4}, "plugin.s3.part_size_mb 4 is out of range"),
        ({"part_size_mb": 6000}, "is out of range"),
        ({"presign_seconds": 10}, "plugin.s3.presign_seconds 10 is out of range"),
        ({"presign_seconds": 700000}, "is out of range"),
        ({"connect_timeout": 0}, "plugin.s3.connect_timeout must be more than 0"),
        ({"read_timeout": -1}, "plugin.s3.read_timeout must be more than 0"),
        ({"max_attempts": 0}, "plugin.s3.max_attempts 0 must be 1 to 20"),
        ({"size_cache_seconds": -1}, "plugin.s3.size_cache_seconds -1.0 must be 0 to 3600"),
        ({"serve": "public"}, "plugin.s3.serve"),
        ({"addressing_style": "dns"}, "plugin.s3.addressing_style"),
        ({"colour": "red"}, "plugin.s3.colour"),
    ],
)
def test_bad_settings_stop_start_up(
    nv_settings_factory: Callable[..., Any],
    section: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "s3")
    settings = nv_settings_factory(storage={"backend": "s3"}, plugin={"s3": {**GOOD, **section}})
    with pytest.raises(ConfigError) as caught:
        create_app(settings)
    assert message in str(caught.value), str(caught.value)
    assert "\n" not in str(caught.value)


async def test_presigned_addresses_cannot_serve_hls(nv_settings_factory: Any) -> None:
    from nichevid_storage_s3 import plugin

    settings = nv_settings_factory(
        storage={"backend": "s3"},
        media={"hls": True},
        plugin={"s3": {**GOOD, "serve": "presign"}},
    )
    pm = make_plugin_manager(settings, extra_plugins=[plugin])
    with pytest.raises(ConfigError, match=r'serve = "presign" cannot serve HLS playlists'):
        await call_first(pm.hook.storage_backend, settings=settings)
    proxied = nv_settings_factory(
        storage={"backend": "s3"}, media={"hls": True}, plugin={"s3": GOOD}
    )
    storage = await call_first(
        make_plugin_manager(proxied, extra_plugins=[plugin]).hook.storage_backend,
        settings=proxied,
    )
    assert isinstance(storage, S3Storage)


async def test_enabling_the_plugin_alone_keeps_local_disk(
    nv_settings_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.default_storage import LocalStorage

    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "s3")
    settings = create_app(nv_settings_factory(plugin={"s3": GOOD})).state.settings
    storage = await call_first(
        make_plugin_manager(settings).hook.storage_backend, settings=settings
    )
    assert isinstance(storage, LocalStorage)


def test_the_secret_comes_from_the_environment_and_is_redacted(
    nv_settings_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "s3")
    monkeypatch.setenv("NICHEVID_S3_SECRET", "from-the-env")
    settings = nv_settings_factory(
        plugin={"s3": {**GOOD, "secret_access_key": {"env": "NICHEVID_S3_SECRET"}}}
    )
    app = create_app(settings)
    config = app.state.settings.plugin["s3"]["_parsed"]
    assert config.secret_access_key.reveal() == "from-the-env"
    shown = json.dumps(redacted(app.state.settings), default=str)
    assert "from-the-env" not in shown
    assert "env:NICHEVID_S3_SECRET" in shown


def test_defaults_and_trailing_slashes() -> None:
    config = S3Settings(bucket="media", endpoint_url="http://s3.local:8333/")
    assert config.endpoint_url == "http://s3.local:8333"
    assert (config.serve, config.region, config.addressing_style) == ("proxy", "us-east-1", "path")
    assert config.part_size == 8 * 1024 * 1024


def test_every_s3_setting_is_documented_with_its_default() -> None:
    text = (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")
    found = dict(re.findall(r"^- `plugin\.s3\.(\w+)` \(default ([^)]*?)[,:)]", text, re.M))
    assert set(found) == set(S3Settings.__struct_fields__)
    assert found["serve"] == "`proxy`"
    assert found["region"] == "`us-east-1`"
    assert found["part_size_mb"] == "`8`"
