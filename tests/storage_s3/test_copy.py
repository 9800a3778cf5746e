"""``nichevid storage copy``: moving media from local disk into a bucket loses nothing,
can run again, and says what to do when it cannot."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nichevid.app import create_app
from nichevid.cli import main
from nichevid.default_storage import LocalStorage
from nichevid.runtime import ResourceError
from nichevid.storage import StorageError
from nichevid.storage_copy import copy_all
from nichevid.testing import running
from nichevid.testing.servers import S3_ACCESS_KEY, S3_SECRET_KEY, Server
from nichevid.testing.storage_contract.helpers import UNICODE_KEYS, blob
from nichevid_storage_s3.storage import S3Storage

from .conftest import bucket_keys, s3_config

FILES = {
    "videos/abc1/original.mp4": blob(300_000, seed=1),
    "videos/abc1/360p.mp4": blob(120_000, seed=2),
    "videos/abc1/poster.jpg": b"\xff\xd8poster",
    "avatars/7/avatar.webp": b"RIFF....WEBP",
    "models/current.json": b'{"version": 3}',
    **{key: key.encode() for key in UNICODE_KEYS},
}


def env_for(tmp_path: Path, server: Server, bucket: str, **values: str) -> dict[str, str]:
    env = {
        "NICHEVID_DATA_DIR": str(tmp_path / "data"),
        "NICHEVID_SECRET_KEY": "test-secret-key-not-for-production",
        "NICHEVID_DATABASE_URL": "",
        "NICHEVID_REDIS_URL": "",
        "NICHEVID_PLUGIN__S3__BUCKET": bucket,
        "NICHEVID_PLUGIN__S3__ENDPOINT_URL": server.url,
        "NICHEVID_PLUGIN__S3__ACCESS_KEY_ID": S3_ACCESS_KEY,
        "NICHEVID_PLUGIN__S3__SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "NICHEVID_PLUGIN__S3__PREFIX": "media/",
        "NICHEVID_LOAD_PLUGINS": "s3",
    }
    env.update(values)
    return env


@pytest.fixture
def nv_settings() -> None:
    """These tests run commands with settings of their own."""


@pytest.fixture
async def local(tmp_path: Path) -> LocalStorage:
    """Local disk holding ``FILES``, where a one-machine instance keeps them."""
    storage = LocalStorage(tmp_path / "data" / "media")
    for key, data in FILES.items():
        await storage.put_bytes(key, data)
    return storage


async def invoke(args: list[str], env: dict[str, str]) -> Any:
    """Run ``nichevid <args>`` (in a thread: the command runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, main, args, env=env, obj={})


def fingerprint(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


async def test_copy_moves_everything_and_a_second_run_copies_only_what_changed(
    tmp_path: Path, local: LocalStorage, s3_server: Server, s3_bucket: str
) -> None:
    before = fingerprint(local.root)
    env = env_for(tmp_path, s3_server, s3_bucket)
    dry = await invoke(["storage", "copy", "--to", "s3", "--dry-run"], env)
    assert dry.exit_code == 0, dry.output
    assert f"would copy {len(FILES)} file(s)" in dry.output
    assert await bucket_keys(s3_server, s3_bucket) == []

    first = await invoke(["storage", "copy", "--to", "s3"], env)
    assert first.exit_code == 0, first.output
    assert f"local -> s3: copied {len(FILES)} file(s)" in first.output
    assert "0 already there, 0 failed" in first.output
    assert 'set [storage] backend = "s3"' in first.output
    assert await bucket_keys(s3_server, s3_bucket) == sorted(f"media/{key}" for key in FILES)
    bucket = S3Storage(s3_config(s3_server, s3_bucket, prefix="media/"))
    for key, data in FILES.items():
        assert await bucket.read_bytes(key) == data, key

    await local.put_bytes("videos/abc1/poster.jpg", b"\xff\xd8a new, longer poster")
    await local.put_bytes("videos/new2/360p.mp4", b"new video")
    again = await invoke(["storage", "copy", "--to", "s3"], env)
    assert again.exit_code == 0, again.output
    assert f"copied 2 file(s) (31 B), {len(FILES) - 1} already there" in again.output
    assert await bucket.read_bytes("videos/abc1/poster.jpg") == b"\xff\xd8a new, longer poster"

    # Nothing in the source was changed or removed by copying.
    after = fingerprint(local.root)
    assert {k: v for k, v in after.items() if k in before and "poster" not in k} == {
        k: v for k, v in before.items() if "poster" not in k
    }

    only = await invoke(
        ["storage", "copy", "--from", "s3", "--to", "local", "--prefix", "avatars/"],
        {**env, "NICHEVID_STORAGE__BACKEND": "s3"},
    )
    assert only.exit_code == 0, only.output
    assert "copied 0 file(s) (0 B), 1 already there" in only.output
    await bucket.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "nowhere"], "no storage backend is called 'nowhere'"),
        (["--to", "local"], "--to 'local' is the storage the files are already in"),
        (["--from", "ftp", "--to", "s3"], "no storage backend is called 'ftp'"),
    ],
)
def test_bad_backends_are_refused(
    tmp_path: Path, s3_server: Server, s3_bucket: str, args: list[str], message: str
) -> None:
    (tmp_path / "data").mkdir()
    env = env_for(tmp_path, s3_server, s3_bucket)
    result = CliRunner().invoke(main, ["storage", "copy", *args], env=env, obj={})
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert message in errors[0]
    assert "registered by the enabled plugins" in errors[0] or "already in" in errors[0]


async def test_a_prefix_no_key_can_start_with_copies_nothing(
    tmp_path: Path, local: LocalStorage, s3_server: Server, s3_bucket: str
) -> None:
    before = fingerprint(local.root)
    for prefix in ("../", "/", "videos//"):
        result = await invoke(
            ["storage", "copy", "--to", "s3", "--prefix", prefix],
            env_for(tmp_path, s3_server, s3_bucket),
        )
        assert result.exit_code == 0, result.output
        assert "copied 0 file(s) (0 B), 0 already there, 0 failed" in result.output
    assert await bucket_keys(s3_server, s3_bucket) == []
    assert fingerprint(local.root) == before


async def test_a_missing_bucket_stops_the_copy_before_anything_is_read(
    tmp_path: Path, local: LocalStorage, s3_server: Server
) -> None:
    env = env_for(tmp_path, s3_server, "not-created-yet")
    result = await invoke(["storage", "copy", "--to", "s3"], env)
    assert result.exit_code == 2, result.output
    assert "bucket 'not-created-yet' does not exist" in result.output
    assert "Traceback" not in result.output
    check = await invoke(["storage", "check"], {**env, "NICHEVID_STORAGE__BACKEND": "s3"})
    assert check.exit_code == 2
    assert "create it, or fix plugin.s3.bucket" in check.output


def test_storage_check_says_ok(tmp_path: Path, s3_server: Server, s3_bucket: str) -> None:
    (tmp_path / "data").mkdir()
    env = env_for(tmp_path, s3_server, s3_bucket, NICHEVID_STORAGE__BACKEND="s3")
    result = CliRunner().invoke(main, ["storage", "check"], env=env, obj={})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "s3 storage: ok"


class RefusesOne(LocalStorage):
    """Local disk that refuses one key, as a store that runs out of room would."""

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        if key == "videos/abc1/360p.mp4":
            raise StorageError("no space left for 'videos/abc1/360p.mp4'")
        return await super().put(key, chunks)


async def test_a_file_that_fails_is_reported_and_the_rest_still_copied(
    tmp_path: Path, local: LocalStorage
) -> None:
    target = RefusesOne(tmp_path / "elsewhere")
    seen: list[str] = []
    report = await copy_all(local, target, progress=lambda _report, key: seen.append(key))
    assert report.failed == [("videos/abc1/360p.mp4", "no space left for 'videos/abc1/360p.mp4'")]
    assert report.copied == len(FILES) - 1
    assert sorted(seen) == sorted(FILES)
    assert not await target.exists("videos/abc1/360p.mp4")
    again = await copy_all(local, LocalStorage(tmp_path / "elsewhere"))
    assert (again.copied, again.skipped, again.failed) == (1, len(FILES) - 1, [])


async def test_an_instance_whose_bucket_is_missing_does_not_start(
    nv_settings_factory: Callable[..., Any], s3_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "s3")
    settings = nv_settings_factory(
        storage={"backend": "s3"},
        plugin={
            "s3": {
                "bucket": "never-made",
                "endpoint_url": s3_server.url,
                "access_key_id": S3_ACCESS_KEY,
                "secret_access_key": S3_SECRET_KEY,
            }
        },
    )
    with pytest.raises(ResourceError, match=r"the s3 media storage cannot be used: bucket"):
        async with running(create_app(settings)):
            pass
