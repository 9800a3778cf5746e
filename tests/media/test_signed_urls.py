"""Media of videos that are not public and ready: signed short-lived URLs only; X-Accel-Redirect."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from nichevid.core.secrets import instance_secret
from nichevid.media import services
from nichevid.media.signing import remaining, signature, signed_query
from nichevid.media.tables import Video

DATA = b"0123456789" * 10


@pytest.fixture
def nv_settings(nv_settings_factory: Any, request: pytest.FixtureRequest) -> Any:
    """Settings with the ``[server]`` overrides a test passes as its parameter."""
    return nv_settings_factory(server=getattr(request, "param", {}))


async def _video(resources: Any, owner: Any, slug: str, visibility: str, status: str) -> Video:
    video = Video(slug=slug, owner=owner.id, visibility=visibility, status=status)
    await video.save()
    await resources.storage.put_bytes(f"videos/{slug}/360p.mp4", DATA)
    return video


async def test_public_ready_media_is_plain_and_cacheable(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    video = await _video(nv_resources, creator, "pub1", "public", "ready")
    url = await services.media_url(nv_resources, video, "videos/pub1/360p.mp4", None)
    assert url == "/media/videos/pub1/360p.mp4"
    response = await nv_client.get(url)
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["cache-control"].startswith("public")


@pytest.mark.parametrize(
    ("visibility", "status"),
    [
        ("followers", "ready"),
        ("subscribers", "ready"),
        ("private", "ready"),
        ("public", "processing"),
    ],
)
async def test_other_media_needs_a_valid_signature(
    nv_client: Any, nv_resources: Any, creator: Any, visibility: str, status: str
) -> None:
    video = await _video(nv_resources, creator, "hid1", visibility, status)
    key = "videos/hid1/360p.mp4"
    url = await services.media_url(nv_resources, video, key, creator)
    parts = urlsplit(url)
    assert parts.path == f"/media/{key}"
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert 295 <= int(query["exp"]) - time.time() <= 300

    signed = await nv_client.get(url, headers={"Range": "bytes=0-9"})
    assert signed.status_code == 206
    assert signed.content == DATA[:10]
    assert signed.headers["cache-control"].startswith("private")

    assert (await nv_client.get(parts.path)).status_code == 403
    assert (await nv_client.head(parts.path)).status_code == 403
    tampered = query["sig"][:-1] + ("0" if query["sig"][-1] != "0" else "1")
    assert (
        await nv_client.get(f"{parts.path}?exp={query['exp']}&sig={tampered}")
    ).status_code == 403
    later = int(query["exp"]) + 3600
    assert (await nv_client.get(f"{parts.path}?exp={later}&sig={query['sig']}")).status_code == 403
    other = "/media/videos/hid1/poster.jpg"
    await nv_resources.storage.put_bytes("videos/hid1/poster.jpg", b"\xff\xd8\xff")
    assert (await nv_client.get(f"{other}?{parts.query}")).status_code == 403


async def test_expired_signatures_are_refused(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    await _video(nv_resources, creator, "old1", "private", "ready")
    key = "videos/old1/360p.mp4"
    secret = instance_secret(nv_resources.settings)
    query = signed_query(secret, key, 300, now=time.time() - 301)
    assert (await nv_client.get(f"/media/{key}?{query}")).status_code == 403
    assert (
        await nv_client.get(f"/media/{key}?{signed_query(secret, key, 300)}")
    ).status_code == 200


def test_signature_checks() -> None:
    sig = signature("s", "videos/a/x.mp4", 2000)
    assert remaining("s", "videos/a/x.mp4", "2000", sig, now=1000) == 1000
    assert remaining("s", "videos/a/x.mp4", "2000", sig, now=2000) == 0
    assert remaining("other", "videos/a/x.mp4", "2000", sig, now=1000) == 0
    assert remaining("s", "videos/a/y.mp4", "2000", sig, now=1000) == 0
    assert remaining("s", "videos/a/x.mp4", "2001", sig, now=1000) == 0
    assert remaining("s", "videos/a/x.mp4", "-5", sig, now=1000) == 0
    assert remaining("s", "videos/a/x.mp4", None, None, now=1000) == 0


async def test_no_url_for_viewers_who_may_not_watch(nv_resources: Any, creator: Any) -> None:
    from nichevid.accounts import services as accounts

    video = await _video(nv_resources, creator, "prv1", "private", "ready")
    stranger = await accounts.create_user(
        nv_resources.settings,
        nv_resources.pm,
        username="stranger",
        email="stranger@example.com",
        password="correct horse battery",
    )
    for viewer in (None, stranger):
        with pytest.raises(PermissionError):
            await services.media_url(nv_resources, video, "videos/prv1/360p.mp4", viewer)


async def test_media_of_no_video_is_not_found(nv_client: Any, nv_resources: Any) -> None:
    await nv_resources.storage.put_bytes("videos/ghost1/360p.mp4", DATA)
    assert (await nv_client.get("/media/videos/ghost1/360p.mp4")).status_code == 404


@pytest.mark.parametrize("nv_settings", [{"x_accel_redirect": True}], indirect=True)
async def test_x_accel_redirect_hands_the_file_to_nginx(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    await _video(nv_resources, creator, "pub2", "public", "ready")
    response = await nv_client.get("/media/videos/pub2/360p.mp4", headers={"Range": "bytes=0-9"})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["x-accel-redirect"] == "/protected-media/videos/pub2/360p.mp4"
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["cache-control"].startswith("public")

    video = await _video(nv_resources, creator, "prv2", "private", "ready")
    key = "videos/prv2/360p.mp4"
    assert (await nv_client.get(f"/media/{key}")).status_code == 403
    url = await services.media_url(nv_resources, video, key, creator)
    signed = await nv_client.get(url)
    assert signed.headers["x-accel-redirect"] == f"/protected-media/{key}"
    assert signed.headers["cache-control"].startswith("private")
    assert (await nv_client.get("/media/videos/prv2/original.mp4")).status_code == 404
