"""The storage contract, run against local disk in each way the app builds it.

Besides the shared contract (:mod:`nichevid.testing.storage_contract`), local disk has
checks of its own: files land under its root and nowhere else, in-progress files
never show up, URLs map back to keys through the media route. The adapter shown in
docs/storage.md runs the contract too, so that page stays true.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from nichevid.default_storage import LocalStorage
from nichevid.plugins import call_first, make_plugin_manager
from nichevid.settings import Settings, load_settings
from nichevid.storage import Storage
from nichevid.testing.storage_contract import (
    UNICODE_KEYS,
    StorageContract,
    StreamBroke,
    breaking,
    chunked,
    slow,
)

DOC = Path(__file__).parent.parent / "docs" / "storage.md"


def settings_for(tmp_path: Path, **storage: Any) -> Settings:
    """Settings for a data directory in ``tmp_path``, read from an empty config file."""
    config = tmp_path / "nichevid.toml"
    config.write_text("")
    (tmp_path / "data").mkdir(exist_ok=True)
    return load_settings(
        config, environ={}, overrides={"data_dir": str(tmp_path / "data"), "storage": storage}
    )


class TestLocalStorage(StorageContract):
    """Local disk built directly, with the default URL prefix and a CDN-style one."""

    @pytest.fixture(params=["/media", "https://cdn.example.com/m/"], ids=["default", "cdn"])
    def storage(self, request: pytest.FixtureRequest, tmp_path: Path) -> LocalStorage:
        return LocalStorage(tmp_path / "media", url_prefix=request.param)


class TestLocalStorageFromPlugins(StorageContract):
    """The store the app really uses: ``storage_backend`` answered by the plugin manager.

    ``default``: no backend named, the ``trylast`` default answers. ``named``:
    ``[storage] backend = "local"`` picks the backend ``register_storage_backends`` names.
    """

    @pytest.fixture(params=["", "local"], ids=["default", "named"])
    async def storage(self, request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
        settings = settings_for(tmp_path, backend=request.param)
        storage: Storage = await call_first(
            make_plugin_manager(settings).hook.storage_backend, settings=settings
        )
        assert isinstance(storage, LocalStorage)
        assert storage.root == (tmp_path / "data" / "media").resolve()
        return storage


def documented_file(name: str) -> str:
    """The ```python block of docs/storage.md that starts with the comment ``# <name>``."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"```python\n(# {re.escape(name)}\n.*?)^```$", text, re.M | re.S)
    assert match, f"docs/storage.md has no '# {name}' example"
    return match.group(1)


def documented_adapter() -> types.ModuleType:
    """The adapter module of docs/storage.md, executed as a module."""
    module = types.ModuleType("docs_storage_example")
    code = compile(documented_file("my_plugin/storage.py"), "docs/storage.md", "exec")
    exec(code, module.__dict__)
    return module


class TestDocumentedExample(StorageContract):
    """The in-memory adapter of docs/storage.md: an object store with no folders."""

    @pytest.fixture
    def storage(self) -> Storage:
        adapter: Storage = documented_adapter().MemoryStorage("https://files.example.com")
        return adapter


def test_the_documented_plugin_registers_its_backend(tmp_path: Path) -> None:
    module = documented_adapter()
    settings = settings_for(tmp_path, backend="memory")
    pm = make_plugin_manager(settings, extra_plugins=[module])
    storage = pm.hook.storage_backend(settings=settings)
    assert type(storage).__name__ == "MemoryStorage"


def test_the_documented_contract_run_works_as_written(tmp_path: Path) -> None:
    """The plugin layout and test module of docs/storage.md, run by pytest as a user would."""
    (tmp_path / "my_plugin").mkdir()
    (tmp_path / "my_plugin" / "__init__.py").write_text("")
    (tmp_path / "my_plugin" / "storage.py").write_text(documented_file("my_plugin/storage.py"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_storage.py").write_text(documented_file("tests/test_storage.py"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NICHEVID_TEST_SHAPE": "sqlite"}
    # No pytest configuration there: pytest-asyncio runs in its default (strict) mode.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_storage.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    checks = [name for name in dir(StorageContract) if name.startswith("test_")]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"{len(checks)} passed" in result.stdout, result.stdout[-2000:]


# ---------------------------------------------------------------- local disk only


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def test_objects_are_plain_files_under_the_root(local: LocalStorage) -> None:
    await local.put("videos/ab/720p.mp4", chunked(b"video" * 1000))
    await local.put_bytes("clips/été 2024/a b.mp4", b"x")
    assert files_under(local.root) == ["clips/été 2024/a b.mp4", "videos/ab/720p.mp4"]
    assert local.path("videos/ab/720p.mp4").read_bytes() == b"video" * 1000


async def test_failed_and_cancelled_puts_leave_no_file_behind(
    local: LocalStorage, tmp_path: Path
) -> None:
    import asyncio

    await local.put_bytes("up/kept.mp4", b"old")
    with pytest.raises(StreamBroke):
        await local.put("up/kept.mp4", breaking(b"n" * 30_000, after=5))
    with pytest.raises(StreamBroke):
        await local.put("up/new.mp4", breaking(b"n" * 30_000, after=5))
    started = asyncio.Event()
    task = asyncio.create_task(local.put("up/new.mp4", slow(b"s" * 5000, started)))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert files_under(tmp_path) == ["media/up/kept.mp4"]


async def test_a_file_being_written_is_never_listed(local: LocalStorage) -> None:
    import asyncio

    started = asyncio.Event()
    task = asyncio.create_task(local.put("up/slow.mp4", slow(b"s" * 5000, started)))
    await started.wait()
    try:
        on_disk = files_under(local.root)
        assert len(on_disk) == 1, on_disk
        assert on_disk[0] != "up/slow.mp4"
        assert on_disk[0].startswith("up/.slow.mp4\\")
        assert [obj async for obj in local.list("")] == []
        assert await local.delete_prefix("up/") == 0
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_deleting_the_last_object_removes_its_empty_folders(local: LocalStorage) -> None:
    await local.put_bytes("videos/ab/hls/seg.m4s", b"1")
    await local.put_bytes("videos/cd/a.mp4", b"2")
    assert await local.delete_prefix("videos/ab/") == 1
    assert not (local.root / "videos" / "ab").exists()
    assert (local.root / "videos" / "cd").is_dir()
    assert local.root.is_dir()


async def test_putting_over_a_folder_says_why(local: LocalStorage) -> None:
    from nichevid.storage import StorageError

    await local.put_bytes("f/a/b.mp4", b"below")
    await local.put_bytes("f/c.mp4", b"file")
    with pytest.raises(StorageError, match=r"'f/a'.*folder of other objects"):
        await local.put_bytes("f/a", b"x")
    with pytest.raises(StorageError, match=r"'f/c.mp4/d.mp4'.*'f/c.mp4' is an object"):
        await local.put_bytes("f/c.mp4/d.mp4", b"x")
    assert files_under(local.root) == ["f/a/b.mp4", "f/c.mp4"]


@pytest.mark.parametrize("prefix", ["/media", "https://cdn.example.com/m/"])
async def test_urls_are_the_prefix_and_the_encoded_key(tmp_path: Path, prefix: str) -> None:
    storage = LocalStorage(tmp_path / "media", url_prefix=prefix)
    assert await storage.url("videos/ab/720p.mp4") == prefix.rstrip("/") + "/videos/ab/720p.mp4"
    for key in UNICODE_KEYS:
        url = await storage.url(key, expires_in=60)
        assert url == f"{prefix.rstrip('/')}/{quote(key)}"
        assert unquote(urlsplit(url).path).endswith("/" + key)


async def test_unusual_keys_are_served_by_the_media_route(nv_client: Any) -> None:
    storage = nv_client.app.state.resources.storage
    key = "avatars/été 2024/a #1 ?x=1&y=2 + 100% [v2].webp"
    await storage.put_bytes(key, b"RIFF....WEBP")
    response = await nv_client.get(await storage.url(key))
    assert response.status_code == 200
    assert response.content == b"RIFF....WEBP"
    assert response.headers["content-type"] == "image/webp"


async def test_a_folder_in_a_media_url_is_not_found(nv_client: Any) -> None:
    storage = nv_client.app.state.resources.storage
    await storage.put_bytes("avatars/u1/a.webp", b"RIFF....WEBP")
    for method in ("GET", "HEAD"):
        response = await nv_client.request(method, "/media/avatars/u1")
        assert response.status_code == 404, (method, response.status_code)
