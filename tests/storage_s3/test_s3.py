"""What the contract leaves open: multipart uploads, content types, errors that say
what to fix, and addresses browsers can fetch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from nichevid.runtime import ResourceError, check_storage
from nichevid.storage import NotFound, StorageError
from nichevid.testing.servers import S3_READER_KEY, S3_SECRET_KEY, Server, free_port
from nichevid.testing.storage_contract.helpers import (
    StreamBroke,
    blob,
    breaking,
    chunked,
    read,
    slow,
)
from nichevid_storage_s3.storage import S3Storage

from .conftest import admin_client, bucket_keys, open_uploads, s3_config

MIB = 1024 * 1024


@pytest.fixture
async def storage(s3_server: Server, s3_bucket: str) -> AsyncIterator[S3Storage]:
    """The smallest parts S3 takes (5 MiB), so a 12 MiB stream goes up in three."""
    storage = S3Storage(s3_config(s3_server, s3_bucket, part_size_mb=5, prefix="nv/"))
    yield storage
    await storage.close()


async def test_a_long_stream_goes_up_in_parts_and_reads_back_whole(
    storage: S3Storage, s3_server: Server, s3_bucket: str
) -> None:
    data = blob(12 * MIB + 7, seed=3)
    assert await storage.put("videos/big1/720p.mp4", chunked(data, 700_001)) == len(data)
    assert await storage.size("videos/big1/720p.mp4") == len(data)
    assert await read(storage, "videos/big1/720p.mp4") == data
    # A range across the boundary of the first and second part.
    start, end = 5 * MIB - 10, 5 * MIB + 10
    assert await read(storage, "videos/big1/720p.mp4", start, end) == data[start : end + 1]
    assert await bucket_keys(s3_server, s3_bucket) == ["nv/videos/big1/720p.mp4"]
    assert await open_uploads(s3_server, s3_bucket) == []


async def test_a_stream_failing_after_some_parts_stores_nothing_and_keeps_the_old_object(
    storage: S3Storage, s3_server: Server, s3_bucket: str
) -> None:
    await storage.put_bytes("videos/big2/720p.mp4", b"the old version")
    data = blob(12 * MIB, seed=4)
    # 11,000 chunks of 1,000 bytes: two parts are sent before the stream breaks.
    with pytest.raises(StreamBroke):
        await storage.put("videos/big2/720p.mp4", breaking(data, 11_000))
    assert await storage.read_bytes("videos/big2/720p.mp4") == b"the old version"
    assert not await storage.exists("videos/big2/other.mp4")
    assert await open_uploads(s3_server, s3_bucket) == []


async def test_a_cancelled_put_in_parts_leaves_no_upload_behind(
    storage: S3Storage, s3_server: Server, s3_bucket: str
) -> None:
    started = asyncio.Event()

    async def parts_then_wait() -> AsyncIterator[bytes]:
        async for chunk in chunked(blob(6 * MIB, seed=5), MIB):
            yield chunk
        async for chunk in slow(b"x" * 2000, started):
            yield chunk

    task = asyncio.create_task(storage.put("videos/big3/720p.mp4", parts_then_wait()))
    await asyncio.wait_for(started.wait(), 30)
    assert await open_uploads(s3_server, s3_bucket) == ["nv/videos/big3/720p.mp4"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await storage.exists("videos/big3/720p.mp4")
    assert await open_uploads(s3_server, s3_bucket) == []


async def test_objects_carry_the_content_type_browsers_need(
    storage: S3Storage, s3_server: Server, s3_bucket: str
) -> None:
    for key in ("videos/t1/360p.mp4", "videos/t1/poster.webp", "videos/t1/en.vtt", "x.bin"):
        await storage.put_bytes(key, b"data")
    expected = {
        "videos/t1/360p.mp4": "video/mp4",
        "videos/t1/poster.webp": "image/webp",
        "videos/t1/en.vtt": "text/vtt; charset=utf-8",
        "x.bin": "application/octet-stream",
    }
    async with await admin_client(s3_server) as client:
        for key, kind in expected.items():
            head = await client.head_object(Bucket=s3_bucket, Key=f"nv/{key}")
            assert head["ContentType"] == kind, key


async def test_objects_of_others_in_a_shared_bucket_are_left_alone(
    storage: S3Storage, s3_server: Server, s3_bucket: str
) -> None:
    async with await admin_client(s3_server) as client:
        await client.put_object(Bucket=s3_bucket, Key="backups/db.sql", Body=b"keep me")
        await client.put_object(Bucket=s3_bucket, Key="nv-other/a.mp4", Body=b"keep me")
    await storage.put_bytes("videos/s1/360p.mp4", b"ours")
    assert [obj.key async for obj in storage.list()] == ["videos/s1/360p.mp4"]
    assert await storage.delete_prefix("") == 1
    assert await bucket_keys(s3_server, s3_bucket) == ["backups/db.sql", "nv-other/a.mp4"]


async def test_delete_prefix_removes_more_than_one_batch(s3_server: Server, s3_bucket: str) -> None:
    storage = S3Storage(s3_config(s3_server, s3_bucket))
    keys = [f"videos/many/{n:04d}.m4s" for n in range(1005)]
    await asyncio.gather(*(storage.put_bytes(key, b"s") for key in keys))
    assert await storage.delete_prefix("videos/many/") == 1005
    assert await bucket_keys(s3_server, s3_bucket) == []
    await storage.close()


async def test_sizes_are_kept_between_ranges_and_corrected_by_the_store(
    s3_server: Server, s3_bucket: str
) -> None:
    web = S3Storage(s3_config(s3_server, s3_bucket))
    worker = S3Storage(s3_config(s3_server, s3_bucket))
    key = "videos/k1/360p.mp4"
    await worker.put_bytes(key, b"0123456789")
    assert await web.size(key) == 10
    # Another process replaces the file: the web process still has the old size...
    await worker.put_bytes(key, b"abcdefghijklmnopqrst")
    assert await web.size(key) == 10
    # ...until its next read of the file, whose answer carries the real one.
    assert await read(web, key, 2, 5) == b"cdef"
    assert await web.size(key) == 20
    # Its own writes and deletes forget what it kept at once.
    await web.put_bytes(key, b"xyz")
    assert await web.size(key) == 3
    assert await web.delete(key)
    with pytest.raises(NotFound):
        await web.size(key)
    # A range past the end of a shorter replacement is empty, and corrects the size too.
    await web.put_bytes(key, b"0123456789")
    assert await web.size(key) == 10
    await worker.put_bytes(key, b"01234")
    assert await read(web, key, 7, 9) == b""
    assert await web.size(key) == 5
    uncached = S3Storage(s3_config(s3_server, s3_bucket, size_cache_seconds=0))
    assert await uncached.size(key) == 5
    await worker.put_bytes(key, b"0123456")
    assert await uncached.size(key) == 7
    for storage in (web, worker, uncached):
        await storage.close()


# ----------------------------------------------------------------- errors


async def test_a_missing_bucket_says_to_create_it(s3_server: Server) -> None:
    storage = S3Storage(s3_config(s3_server, "no-such-bucket-here"))
    with pytest.raises(StorageError, match=r"bucket 'no-such-bucket-here' does not exist at"):
        await storage.check()
    with pytest.raises(ResourceError, match=r"the s3 media storage cannot be used: bucket"):
        await check_storage(storage)


async def test_a_bucket_gone_while_running_is_an_error_not_a_missing_file(
    s3_server: Server,
) -> None:
    storage = S3Storage(s3_config(s3_server, "removed-meanwhile"))
    with pytest.raises(StorageError) as caught:
        await storage.read_bytes("videos/g1/360p.mp4")
    assert not isinstance(caught.value, NotFound)
    assert "'videos/g1/360p.mp4' in bucket 'removed-meanwhile': NoSuchBucket" in str(caught.value)
    with pytest.raises(StorageError, match="NoSuchBucket"):
        await storage.put_bytes("videos/g1/360p.mp4", b"data")
    with pytest.raises(StorageError, match="NoSuchBucket"):
        [obj async for obj in storage.list()]
    await storage.close()


async def test_a_wrong_secret_says_which_settings_to_check(
    s3_server: Server, s3_bucket: str
) -> None:
    from nichevid.settings import Secret

    storage = S3Storage(
        s3_config(s3_server, s3_bucket, secret_access_key=Secret(S3_SECRET_KEY + "x"))
    )
    with pytest.raises(StorageError, match=r"refused access .* check plugin\.s3\.access_key_id"):
        await storage.check()
    # Every other method says which key failed and what S3 answered; nothing is written.
    with pytest.raises(StorageError, match=r"S3 could not store 'videos/w1/a\.mp4'"):
        await storage.put_bytes("videos/w1/a.mp4", b"data")
    assert await bucket_keys(s3_server, s3_bucket) == []
    await storage.close()


async def test_a_key_that_may_only_read_stops_start_up_not_the_first_upload(
    s3_server: Server, s3_bucket: str
) -> None:
    reader = S3Storage(s3_config(s3_server, s3_bucket, access_key_id=S3_READER_KEY))
    await reader.check()  # it may see the bucket...
    with pytest.raises(StorageError, match=r"refused to write a test file to bucket .* may write"):
        await reader.check_writable()  # ...but not write to it
    with pytest.raises(ResourceError, match="the s3 media storage cannot be used: S3 refused"):
        await check_storage(reader)
    writer = S3Storage(s3_config(s3_server, s3_bucket, prefix="nv/"))
    await check_storage(writer)
    assert await bucket_keys(s3_server, s3_bucket) == [], "the test file is deleted again"
    await writer.close()


async def test_a_server_that_does_not_answer_says_to_check_the_endpoint(s3_bucket: str) -> None:
    from nichevid.settings import Secret
    from nichevid_storage_s3.settings import S3Settings

    endpoint = f"http://127.0.0.1:{free_port()}"
    storage = S3Storage(
        S3Settings(
            bucket=s3_bucket,
            endpoint_url=endpoint,
            access_key_id="k",
            secret_access_key=Secret("s"),
            connect_timeout=1,
            max_attempts=1,
        )
    )
    with pytest.raises(StorageError, match=rf"cannot reach S3 at {endpoint}: .*endpoint_url"):
        await storage.check()
    with pytest.raises(StorageError, match=r"S3 could not look up 'videos/a\.mp4'"):
        await storage.exists("videos/a.mp4")
    await storage.close()


# ------------------------------------------------------------------- URLs


async def test_proxy_addresses_are_the_media_route(s3_server: Server, s3_bucket: str) -> None:
    storage = S3Storage(s3_config(s3_server, s3_bucket))
    assert storage.signed_by_media_route
    assert await storage.url("videos/u1/a #1.mp4") == "/media/videos/u1/a%20%231.mp4"
    assert await storage.url("videos/u1/a.mp4", expires_in=60) == "/media/videos/u1/a.mp4"


async def test_presigned_addresses_work_in_a_browser_until_they_expire(
    s3_server: Server, s3_bucket: str
) -> None:
    storage = S3Storage(s3_config(s3_server, s3_bucket, serve="presign", prefix="nv/"))
    assert not storage.signed_by_media_route
    data = blob(100_000, seed=6)
    key = "videos/p1/été #1.mp4"
    await storage.put_bytes(key, data)
    open_url = await storage.url(key)
    assert open_url.startswith(f"{s3_server.url}/{s3_bucket}/nv/videos/p1/")
    assert parse_qs(urlsplit(open_url).query)["X-Amz-Expires"] == ["21600"]
    short = await storage.url(key, expires_in=1)
    assert parse_qs(urlsplit(short).query)["X-Amz-Expires"] == ["1"]
    async with httpx.AsyncClient() as browser:
        whole = await browser.get(open_url)
        assert whole.status_code == 200
        assert whole.content == data
        assert whole.headers["content-type"] == "video/mp4"
        part = await browser.get(open_url, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206
        assert part.content == data[10:20]
        # The bucket is private: no signature, or a forged one, gets nothing.
        assert (await browser.get(open_url.split("?")[0])).status_code == 403
        forged = open_url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        assert (await browser.get(forged)).status_code == 403
        await asyncio.sleep(2.5)
        assert (await browser.get(short)).status_code == 403
    await storage.close()


async def test_presigned_addresses_can_name_the_address_browsers_use(
    s3_server: Server, s3_bucket: str
) -> None:
    storage = S3Storage(
        s3_config(
            s3_server,
            s3_bucket,
            serve="presign",
            endpoint_url="http://10.9.8.7:8333",
            browser_endpoint_url=s3_server.url,
        )
    )
    url = await storage.url("videos/p2/a.mp4")
    assert url.startswith(f"{s3_server.url}/{s3_bucket}/videos/p2/a.mp4?")


async def test_addresses_never_outlive_what_s3_signs(s3_server: Server, s3_bucket: str) -> None:
    storage = S3Storage(s3_config(s3_server, s3_bucket, serve="presign"))
    url = await storage.url("videos/p3/a.mp4", expires_in=30 * 24 * 3600)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["604800"]
