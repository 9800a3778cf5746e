"""The S3 backend passes the shared storage contract against a real SeaweedFS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nichevid.plugins import call_first, make_plugin_manager
from nichevid.settings import Settings, load_settings
from nichevid.storage import Storage
from nichevid.testing.servers import S3_ACCESS_KEY, S3_SECRET_KEY, Server
from nichevid.testing.storage_contract import StorageContract
from nichevid_storage_s3 import plugin
from nichevid_storage_s3.storage import S3Storage

from .conftest import s3_config


def instance_settings(
    tmp_path: Path, server: Server, bucket: str, backend: str, **sections: dict[str, Any]
) -> Settings:
    """Settings of an instance keeping its media in ``bucket`` (``[storage] backend``
    ``backend``), with more ``[plugin.<name>]`` values in ``sections``."""
    config = tmp_path / "nichevid.toml"
    config.write_text("")
    (tmp_path / "data").mkdir()
    s3 = {
        "bucket": bucket,
        "endpoint_url": server.url,
        "access_key_id": S3_ACCESS_KEY,
        "secret_access_key": S3_SECRET_KEY,
        **sections.pop("s3", {}),
    }
    return load_settings(
        config,
        environ={},
        overrides={
            "data_dir": str(tmp_path / "data"),
            "storage": {"backend": backend},
            "plugin": {"s3": s3, **sections},
        },
    )


class TestS3Storage(StorageContract):
    """Built directly: at the bucket's root, and under a prefix in it."""

    @pytest.fixture(params=["", "nichevid/"], ids=["root", "prefix"])
    async def storage(
        self, request: pytest.FixtureRequest, s3_server: Server, s3_bucket: str
    ) -> AsyncIterator[Storage]:
        storage = S3Storage(s3_config(s3_server, s3_bucket, prefix=request.param))
        yield storage
        await storage.close()


class TestS3StorageFromPlugins(StorageContract):
    """As the plugin manager builds it from ``[storage] backend = "s3"``."""

    @pytest.fixture
    async def storage(
        self,
        tmp_path: Path,
        s3_server: Server,
        s3_bucket: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> AsyncIterator[Storage]:
        monkeypatch.setenv("NICHEVID_TEST_S3_SECRET", S3_SECRET_KEY)
        section = {"secret_access_key": {"env": "NICHEVID_TEST_S3_SECRET"}}
        settings = instance_settings(tmp_path, s3_server, s3_bucket, "s3", s3=section)
        pm = make_plugin_manager(settings, extra_plugins=[plugin])
        storage: Storage = await call_first(pm.hook.storage_backend, settings=settings)
        assert isinstance(storage, S3Storage)
        yield storage
        await storage.close()


class TestCdnInFrontOfS3(StorageContract):
    """The CDN plugin with the bucket as its origin (docs/s3.md): files in the bucket,
    addresses on the CDN."""

    @pytest.fixture
    async def storage(
        self, tmp_path: Path, s3_server: Server, s3_bucket: str
    ) -> AsyncIterator[Storage]:
        from nichevid_cdn import plugin as cdn_plugin
        from nichevid_cdn.storage import CdnStorage

        cdn = {"base_url": "https://cdn.example.com/media", "origin": "s3"}
        settings = instance_settings(tmp_path, s3_server, s3_bucket, "cdn", cdn=cdn)
        pm = make_plugin_manager(settings, extra_plugins=[plugin, cdn_plugin])
        storage: Storage = await call_first(pm.hook.storage_backend, settings=settings)
        assert isinstance(storage, CdnStorage)
        assert isinstance(storage.origin, S3Storage)
        assert not storage.on_local_disk
        assert storage.describe() == (
            f"cdn: https://cdn.example.com/media <- s3: {s3_bucket}/ @ {s3_server.url} (proxy)"
        )
        assert await storage.url("videos/c1/360p.mp4") == (
            "https://cdn.example.com/media/videos/c1/360p.mp4"
        )
        # Restricted files stay on the core's signed media route, read from the bucket.
        assert storage.signed_by_media_route
        assert await storage.url("videos/c1/360p.mp4", expires_in=60) == (
            "/media/videos/c1/360p.mp4"
        )
        yield storage
        await storage.close()
