"""The CDN adapter passes the shared storage contract, wrapping local disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nichevid.default_storage import LocalStorage
from nichevid.plugins import call_first, make_plugin_manager
from nichevid.settings import Secret, Settings, load_settings
from nichevid.storage import Storage
from nichevid.testing.storage_contract import StorageContract
from nichevid_cdn import plugin
from nichevid_cdn.settings import CdnSettings
from nichevid_cdn.storage import CdnStorage


def settings_for(tmp_path: Path, cdn: dict[str, Any], **storage: Any) -> Settings:
    """Settings with a data directory in ``tmp_path`` and a ``[plugin.cdn]`` section."""
    config = tmp_path / "nichevid.toml"
    config.write_text("")
    (tmp_path / "data").mkdir(exist_ok=True)
    return load_settings(
        config,
        environ={},
        overrides={
            "data_dir": str(tmp_path / "data"),
            "storage": storage,
            "plugin": {"cdn": cdn},
        },
    )


class TestCdnStorage(StorageContract):
    """Built directly, once per signing scheme."""

    @pytest.fixture(params=["none", "nginx", "bunny"])
    def storage(self, request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
        config = CdnSettings(
            base_url="https://cdn.example.com/m/", signing=request.param, secret=Secret("s3cret")
        )
        return CdnStorage(LocalStorage(tmp_path / "media"), config)


class TestCdnStorageFromPlugins(StorageContract):
    """As the plugin manager builds it: enabled (wrapping the default) and by name."""

    @pytest.fixture(params=["", "cdn"], ids=["enabled", "named"])
    async def storage(self, request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
        settings = settings_for(
            tmp_path,
            {"base_url": "https://cdn.example.com", "signing": "bunny", "secret": "k"},
            backend=request.param,
        )
        pm = make_plugin_manager(settings, extra_plugins=[plugin])
        storage: Storage = await call_first(pm.hook.storage_backend, settings=settings)
        assert isinstance(storage, CdnStorage)
        assert isinstance(storage.origin, LocalStorage)
        assert storage.origin.root == (tmp_path / "data" / "media").resolve()
        return storage
