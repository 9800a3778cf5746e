"""``/media/<key>``: whole files, byte ranges, types, caching, and refusals."""

from __future__ import annotations

from typing import Any

import pytest

DATA = bytes(range(256)) * 8  # 2048 bytes
KEY = "videos/abc123/360p.mp4"


@pytest.fixture(autouse=True)
async def public_video(creator: Any) -> None:
    """The public, ready video the stored files belong to (media of others is not served)."""
    from nichevid.media.tables import Video

    await Video(slug="abc123", owner=creator.id, visibility="public", status="ready").save()


@pytest.fixture
async def stored(nv_resources: Any) -> str:
    await nv_resources.storage.put_bytes(KEY, DATA)
    return f"/media/{KEY}"


async def test_whole_file_with_type_length_and_caching(nv_client: Any, stored: str) -> None:
    response = await nv_client.get(stored)
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["accept-ranges"] == "bytes"
    assert "max-age" in response.headers["cache-control"]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-100", 100, 100),
        ("bytes=-100", 1948, 2047),
        ("bytes=2000-", 2000, 2047),
        ("bytes=2000-99999", 2000, 2047),
        ("bytes=-5000", 0, 2047),
    ],
)
async def test_byte_ranges(nv_client: Any, stored: str, header: str, start: int, end: int) -> None:
    response = await nv_client.get(stored, headers={"Range": header})
    assert response.status_code == 206
    assert response.content == DATA[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["content-type"] == "video/mp4"


@pytest.mark.parametrize("header", ["bytes=2048-", "bytes=5000-6000", "bytes=10-5", "bytes=-0"])
async def test_unsatisfiable_ranges(nv_client: Any, stored: str, header: str) -> None:
    response = await nv_client.get(stored, headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(DATA)}"


async def test_unsupported_range_forms_get_the_whole_file(nv_client: Any, stored: str) -> None:
    for header in ("bytes=0-1,5-9", "items=0-5"):
        response = await nv_client.get(stored, headers={"Range": header})
        assert response.status_code == 200
        assert response.content == DATA


async def test_head_gives_headers_only(nv_client: Any, stored: str) -> None:
    response = await nv_client.head(stored, headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.content == b""
    assert response.headers["content-range"] == f"bytes 0-9/{len(DATA)}"


async def test_posters_and_avatars_are_served(nv_client: Any, nv_resources: Any) -> None:
    await nv_resources.storage.put_bytes("videos/abc123/poster.webp", b"RIFF....WEBP")
    await nv_resources.storage.put_bytes("avatars/7/avatar.jpg", b"\xff\xd8\xff")
    poster = await nv_client.get("/media/videos/abc123/poster.webp")
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/webp"
    avatar = await nv_client.get("/media/avatars/7/avatar.jpg")
    assert avatar.status_code == 200
    assert avatar.headers["content-type"] == "image/jpeg"
    assert avatar.content == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "path",
    [
        "/media/videos/abc123/missing.mp4",
        "/media/videos/abc123/original.mp4",
        "/media/secret_key",
        "/media/other/file.mp4",
    ],
)
async def test_missing_private_and_unlisted_keys_are_not_found(
    nv_client: Any, nv_resources: Any, stored: str, path: str
) -> None:
    await nv_resources.storage.put_bytes("videos/abc123/original.mp4", b"original")
    await nv_resources.storage.put_bytes("other/file.mp4", b"other")
    response = await nv_client.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/videos/%2e%2e/%2e%2e/secret_key",
        "/media/videos/abc123/..%2f..%2f..%2fsecret_key",
        "/media/avatars/%2e%2e/%2e%2e/nichevid.sqlite3",
        "/media/videos/abc123/%5c..%5csecret_key",
    ],
)
async def test_traversal_is_refused(nv_client: Any, stored: str, path: str) -> None:
    response = await nv_client.get(path)
    assert response.status_code in (400, 404)
    assert DATA not in response.content
