"""Fixtures for the S3 plugin's tests: a real SeaweedFS server, a fresh bucket per test."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from nichevid.settings import Secret
from nichevid.testing.servers import S3_ACCESS_KEY, S3_SECRET_KEY, Server, start_seaweedfs
from nichevid_storage_s3.settings import S3Settings
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401
from tests.conftest import mark_plugin_tests
from tests.media.conftest import clips  # noqa: F401

_numbers = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs with the S3 plugin loaded."""
    mark_plugin_tests(items, "storage_s3", "s3")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Server]:
    """One SeaweedFS server (master, volume, filer and S3 gateway) for the session."""
    server = start_seaweedfs()
    try:
        yield server
    finally:
        server.stop()


def s3_config(server: Server, bucket: str, **overrides: Any) -> S3Settings:
    """Settings for ``bucket`` on the test server."""
    values: dict[str, Any] = {
        "bucket": bucket,
        "endpoint_url": server.url,
        "access_key_id": S3_ACCESS_KEY,
        "secret_access_key": Secret(S3_SECRET_KEY),
    }
    values.update(overrides)
    return S3Settings(**values)


async def admin_client(server: Server) -> Any:
    """An aiobotocore client context of the test server's admin identity."""
    from botocore.config import Config

    from nichevid_storage_s3.storage import shared_session

    return shared_session("async").create_client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


async def bucket_keys(server: Server, bucket: str) -> list[str]:
    """Every object name in ``bucket``, straight from the server."""
    async with await admin_client(server) as client:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted([item["Key"] async for page in pages for item in page.get("Contents", [])])


async def open_uploads(server: Server, bucket: str) -> list[str]:
    """The keys of multipart uploads started and neither completed nor aborted."""
    async with await admin_client(server) as client:
        answer = await client.list_multipart_uploads(Bucket=bucket)
        return [upload["Key"] for upload in answer.get("Uploads", [])]


@pytest.fixture
async def s3_bucket(s3_server: Server) -> AsyncIterator[str]:
    """A new, empty bucket private to the test; emptied and removed afterwards."""
    bucket = f"nv-{os.getpid()}-{next(_numbers)}"
    async with await admin_client(s3_server) as client:
        for attempt in range(60):
            try:
                await client.create_bucket(Bucket=bucket)
                break
            except Exception:
                # The store takes a moment after starting before it takes buckets.
                if attempt == 59:
                    raise
                await asyncio.sleep(0.5)
    yield bucket
    async with await admin_client(s3_server) as client:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        keys = [item["Key"] async for page in pages for item in page.get("Contents", [])]
        for key in keys:
            await client.delete_object(Bucket=bucket, Key=key)
        await client.delete_bucket(Bucket=bucket)


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any], s3_server: Server, s3_bucket: str) -> Any:
    """The instance keeps its media in ``s3_bucket``, served through the media route."""
    return nv_settings_factory(
        storage={"backend": "s3"},
        plugin={
            "s3": {
                "bucket": s3_bucket,
                "endpoint_url": s3_server.url,
                "access_key_id": S3_ACCESS_KEY,
                "secret_access_key": S3_SECRET_KEY,
            }
        },
    )
