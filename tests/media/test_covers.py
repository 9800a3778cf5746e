"""Custom covers: PUT /api/videos/{id}/cover, checked like avatars, cropped to the video's frame."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from nichevid.media import services
from nichevid.media.covers import COVER_MAX_EDGE, crop_box
from nichevid.media.tables import Video
from tests.accounts.conftest import csrf_token, fast_hashes  # noqa: F401

from .test_video_api import API, bearer, fresh_client, make_user, signed_in, snapshot
from .test_video_api import stored_video as _stored_video


@pytest.fixture(params=["bearer", "session"])
def how(request: pytest.FixtureRequest) -> str:
    """How the owner authenticates: an API token or a browser session."""
    return str(request.param)


def picture(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def two_halves(size: tuple[int, int], first: str, second: str) -> Image.Image:
    """Left half ``first``, right half ``second``."""
    image = Image.new("RGB", size, second)
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), first), (0, 0))
    return image


def close(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


async def stored_video(resources: Any, owner: Any, slug: str, **kwargs: Any) -> Video:
    """A ready video (360x640) whose images also hold a key covers must keep."""
    video = await _stored_video(resources, owner, slug, **kwargs)
    images = {**services.images_of(video), "extra": {"note": "kept"}}
    await Video.update({Video.images: images}).where(Video.id == video.id)
    fresh = await services.get_video(video_id=video.id)
    assert fresh is not None
    return fresh


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """PNGs of a few kilobytes that decode to far too many pixels."""
    return {
        # 400 megapixels: past twice Pillow's own limit, refused when opened.
        "huge": picture(Image.new("1", (20000, 20000)), "PNG"),
        # 56 megapixels: under Pillow's limit, over media.cover_max_pixels (50 million).
        "large": picture(Image.new("1", (8000, 7000)), "PNG"),
    }


async def test_a_cover_is_turned_upright_cropped_and_re_encoded(
    nv_client: Any, nv_resources: Any, creator: Any, how: str
) -> None:
    await stored_video(nv_resources, creator, "cov1")
    old_poster = await nv_resources.storage.read_bytes("videos/cov1/poster.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise: the left half ends up on top
    exif[0x010F] = "Camera maker"
    upload = picture(two_halves((400, 300), "red", "blue"), "JPEG", quality=95, exif=exif)
    headers = await signed_in(nv_client, creator, how)

    response = await nv_client.put(f"{API}/cov1/cover", headers=headers, content=upload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["custom_cover"] is True
    # Upright it is 300x400; the 9:16 frame of the video keeps the middle 225x400.
    assert (body["poster"]["width"], body["poster"]["height"]) == (225, 400)
    assert crop_box((300, 400), (360, 640)) == (37, 0, 262, 400)
    stored = await nv_resources.storage.read_bytes("videos/cov1/poster.jpg")
    assert stored != old_poster
    with Image.open(io.BytesIO(stored)) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (225, 400)
        assert close(poster.getpixel((112, 40)), (255, 0, 0))
        assert close(poster.getpixel((112, 360)), (0, 0, 255))
        assert not poster.getexif()
        assert "exif" not in poster.info
    webp = await nv_resources.storage.read_bytes("videos/cov1/poster.webp")
    assert webp[8:12] == b"WEBP"
    video = await services.get_video(slug="cov1")
    assert video is not None
    images = services.images_of(video)
    assert images["custom_cover"] is True
    assert images["extra"] == {"note": "kept"}
    assert video.poster_key == images["poster"]["jpg"] == "videos/cov1/poster.jpg"
    assert (images["grid"]["width"], images["card"]["width"]) == (225, 225)
    # The rest of the video is untouched.
    assert await nv_resources.storage.read_bytes("videos/cov1/360p.mp4") == b"360p"
    assert (video.status, video.caption) == ("ready", "Hello #one")


async def test_png_with_transparency_and_webp_are_accepted(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    video = await stored_video(nv_resources, creator, "cov2", status="processing")
    # Still processing: no frame size known yet, so the picture keeps its own shape.
    await Video.update({Video.width: 0, Video.height: 0}).where(Video.id == video.id)
    owner = await bearer(creator)
    see_through = Image.new("RGBA", (2400, 1200), (0, 255, 0, 255))
    see_through.paste((0, 0, 0, 0), (0, 0, 1200, 1200))
    response = await nv_client.put(
        f"{API}/cov2/cover", headers=owner, content=picture(see_through, "PNG")
    )
    assert response.status_code == 200, response.text
    poster = response.json()["poster"]
    assert (poster["width"], poster["height"]) == (COVER_MAX_EDGE, COVER_MAX_EDGE // 2)
    stored = await nv_resources.storage.read_bytes("videos/cov2/poster.jpg")
    with Image.open(io.BytesIO(stored)) as image:
        assert close(image.getpixel((100, 100)), (0, 0, 0))  # transparent shows as black
        assert close(image.getpixel((1800, 100)), (0, 255, 0))

    webp = picture(two_halves((300, 300), "yellow", "white"), "WEBP")
    again = await nv_client.put(f"{API}/cov2/cover", headers=owner, content=webp)
    assert again.status_code == 200, again.text
    assert (again.json()["poster"]["width"], again.json()["poster"]["height"]) == (300, 300)


def _truncated_jpeg() -> bytes:
    whole = picture(Image.effect_noise((300, 300), 60).convert("RGB"), "JPEG")
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("text", 400, "not a picture we can use"),
        ("gif", 400, "not a picture we can use"),
        ("truncated", 400, "damaged or incomplete"),
        ("empty", 400, "Send the picture as the request body"),
        ("huge", 413, "far too many pixels"),
        ("large", 413, "8000x7000 pixels, too many"),
        ("oversize", 413, "larger than 10.0 MB"),
        ("oversize-streamed", 413, "larger than 10.0 MB"),
    ],
)
async def test_bad_pictures_are_refused_and_nothing_changes(
    nv_client: Any, nv_resources: Any, creator: Any, bombs: dict[str, bytes],
    kind: str, status: int, message: str,
) -> None:  # fmt: skip
    await stored_video(nv_resources, creator, "cov3")
    before = await snapshot(nv_resources)
    oversize = b"\xff\xd8\xff" + os.urandom(10 * 1024**2)
    bodies: dict[str, Any] = {
        "text": b"this is not a picture\n" * 50,
        "gif": picture(Image.new("RGB", (50, 50), "red"), "GIF"),
        "truncated": _truncated_jpeg(),
        "empty": b"",
        "oversize": oversize,
        **bombs,
    }
    if kind == "oversize-streamed":

        async def pieces() -> AsyncIterator[bytes]:
            for start in range(0, len(oversize), 1024**2):
                yield oversize[start : start + 1024**2]

        body: Any = pieces()
    else:
        body = bodies[kind]
    response = await nv_client.put(f"{API}/cov3/cover", headers=await bearer(creator), content=body)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert await snapshot(nv_resources) == before


async def test_only_the_owner_sets_a_cover(nv_client: Any, nv_resources: Any, creator: Any) -> None:
    await stored_video(nv_resources, creator, "open3")
    await stored_video(nv_resources, creator, "priv3", visibility="private")
    await stored_video(nv_resources, creator, "fail3", status="failed")
    before = await snapshot(nv_resources)
    image = picture(two_halves((90, 160), "red", "blue"), "PNG")
    other = await bearer(await make_user(nv_resources, "other"))
    refused = await nv_client.put(f"{API}/open3/cover", headers=other, content=image)
    assert refused.status_code == 403
    hidden = await nv_client.put(f"{API}/priv3/cover", headers=other, content=image)
    assert hidden.status_code == 404
    owner = await bearer(creator)
    failed = await nv_client.put(f"{API}/fail3/cover", headers=owner, content=image)
    assert failed.status_code == 409
    assert "failed" in failed.json()["detail"]
    unknown = await nv_client.put(f"{API}/nope/cover", headers=owner, content=image)
    assert unknown.status_code == 404
    async with fresh_client(nv_client) as visitor:
        csrf = {"x-csrftoken": await csrf_token(visitor)}
        signed_out = await visitor.put(f"{API}/open3/cover", headers=csrf, content=image)
        assert signed_out.status_code == 401
    assert await snapshot(nv_resources) == before


async def test_processing_again_keeps_a_custom_cover(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await services.ingest_file(nv_resources, creator, clips["h264"], "cover me")
    await nv_run_jobs()
    owner = await bearer(creator)
    image = picture(two_halves((180, 320), "red", "blue"), "PNG")
    response = await nv_client.put(f"{API}/{video.slug}/cover", headers=owner, content=image)
    assert response.status_code == 200, response.text
    cover = await nv_resources.storage.read_bytes(f"videos/{video.slug}/poster.jpg")

    assert await services.enqueue_processing(nv_resources, video.id)
    await nv_run_jobs()
    after = (await nv_client.get(f"{API}/{video.slug}", headers=owner)).json()
    assert (after["status"], after["custom_cover"]) == ("ready", True)
    assert await nv_resources.storage.read_bytes(f"videos/{video.slug}/poster.jpg") == cover
