"""Avatar uploads: re-encoded to a square WebP; non-images, truncated files and bombs refused."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from nichevid.accounts import services
from tests.accounts.conftest import csrf_token, login

HTML = {"accept": "text/html"}


def image_bytes(size: tuple[int, int] = (300, 200), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(out, format=fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb's calling card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


async def upload(client: Any, data: bytes, filename: str = "me.png", **fields: str) -> Any:
    token = await csrf_token(client)
    return await client.post(
        "/settings/profile",
        data={"_csrf_token": token, "display_name": "Alice A.", "bio": "hi", **fields},
        files={"avatar": (filename, data, "image/png")},
        headers=HTML,
    )


async def test_avatar_is_reencoded_as_a_square_webp(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    user = await make_user("alice")
    await login(nv_client, "alice")
    response = await upload(nv_client, image_bytes((300, 200)))
    assert response.status_code == 303, response.text
    row = await services.get_user_by_id(user.id)
    assert row.avatar_key.startswith(f"avatars/{user.id}/")
    assert row.avatar_key.endswith(".webp")
    assert row.display_name == "Alice A."
    stored = await nv_resources.storage.read_bytes(row.avatar_key)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "WEBP"
        assert image.size == (256, 256)
    url = await nv_resources.storage.url(row.avatar_key)
    profile = await nv_client.get("/u/alice", headers=HTML)
    assert f'src="{url}"' in profile.text
    assert (await nv_client.get("/api/me")).json()["avatar_url"] == url

    # A new avatar replaces the old file.
    assert (await upload(nv_client, image_bytes((64, 64), "JPEG"))).status_code == 303
    newer = await services.get_user_by_id(user.id)
    assert newer.avatar_key != row.avatar_key
    assert not await nv_resources.storage.exists(row.avatar_key)
    assert await nv_resources.storage.exists(newer.avatar_key)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"#!/bin/sh\necho not an image\n", "not an image"),
        (image_bytes((400, 400), "PNG")[:300], "damaged or incomplete"),
        (image_bytes((400, 400), "JPEG")[:200], "damaged or incomplete"),
        (png_claiming(100_000, 100_000), "too many pixels"),
        (png_claiming(9_000, 9_000), "too many"),
        (image_bytes((64, 64), "TIFF"), "not an image"),
    ],
    ids=["not-an-image", "truncated-png", "truncated-jpeg", "bomb", "over-limit", "tiff"],
)
async def test_bad_avatars_are_refused_and_the_old_one_kept(
    nv_client: Any, nv_resources: Any, make_user: Any, data: bytes, message: str
) -> None:
    user = await make_user("alice")
    await login(nv_client, "alice")
    assert (await upload(nv_client, image_bytes())).status_code == 303
    before = (await services.get_user_by_id(user.id)).avatar_key

    response = await upload(nv_client, data, display_name="Changed")
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert message in response.text
    assert 'value="Changed"' in response.text
    after = await services.get_user_by_id(user.id)
    assert after.avatar_key == before
    assert after.display_name == "Alice A."
    assert await nv_resources.storage.exists(before)
    keys = [obj.key async for obj in nv_resources.storage.list(f"avatars/{user.id}/")]
    assert keys == [before]


def test_pillow_bomb_limits_are_enforced_without_changing_globals() -> None:
    limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(services.AccountError, match="too many"):
        services.process_avatar(image_bytes((300, 300)), max_bytes=10**6, max_pixels=50_000)
    with pytest.raises(services.AccountError, match="far too many"):
        services.process_avatar(png_claiming(20_000, 20_000), max_bytes=10**6, max_pixels=10**12)
    assert limit == Image.MAX_IMAGE_PIXELS


def test_oversized_uploads_are_refused() -> None:
    with pytest.raises(services.AccountError, match="limit"):
        services.process_avatar(b"x" * 2000, max_bytes=1000, max_pixels=10**6)
    with pytest.raises(services.AccountError, match="Choose an image"):
        services.process_avatar(b"", max_bytes=1000, max_pixels=10**6)


def test_transparency_is_kept() -> None:
    out = services.process_avatar(
        image_bytes((50, 80), "PNG", mode="RGBA"), max_bytes=10**6, max_pixels=10**6
    )
    with Image.open(io.BytesIO(out)) as image:
        assert image.mode == "RGBA"


async def test_avatar_can_be_removed(nv_client: Any, nv_resources: Any, make_user: Any) -> None:
    user = await make_user("alice")
    await login(nv_client, "alice")
    await upload(nv_client, image_bytes())
    key = (await services.get_user_by_id(user.id)).avatar_key
    token = await csrf_token(nv_client)
    response = await nv_client.post(
        "/settings/profile",
        data={"_csrf_token": token, "display_name": "A", "bio": "", "remove_avatar": "1"},
        headers=HTML,
    )
    assert response.status_code == 303
    assert (await services.get_user_by_id(user.id)).avatar_key == ""
    assert not await nv_resources.storage.exists(key)
