"""The video JSON API at /api/videos: documents, changes, deletion, retries, plain uploads."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nichevid.media import keys, services
from nichevid.media.tables import Rendition, Upload, Video
from nichevid.media.tus import services as tus_services
from tests.accounts.conftest import csrf_token, fast_hashes, login  # noqa: F401

from .conftest import PASSWORD, stored_keys

API = "/api/videos"


async def make_user(resources: Any, name: str, role: str = "creator") -> Any:
    from nichevid.accounts import services as accounts

    return await accounts.create_user(
        resources.settings,
        resources.pm,
        username=name,
        email=f"{name}@example.org",
        password=PASSWORD,
        role=role,
        allow_reserved=True,
    )


async def bearer(user: Any) -> dict[str, str]:
    """Headers of a fresh API token of ``user``."""
    from nichevid.accounts.tokens import create_token

    plain, _ = await create_token(user, "api tests")
    return {"Authorization": f"Bearer {plain}"}


async def signed_in(client: Any, user: Any, how: str) -> dict[str, str]:
    """Headers for ``user``'s requests: a Bearer token, or the client's session plus CSRF."""
    if how == "bearer":
        return await bearer(user)
    response = await login(client, user.username)
    assert response.status_code in (200, 303), response.text
    return {"x-csrftoken": await csrf_token(client)}


@contextlib.asynccontextmanager
async def fresh_client(client: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Another client on the same running app, with no cookies (a signed-out visitor)."""
    transport = httpx.ASGITransport(app=client.app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as other:
        yield other


@pytest.fixture(params=["bearer", "session"])
def how(request: pytest.FixtureRequest) -> str:
    """How the owner authenticates: an API token or a browser session."""
    return str(request.param)


async def stored_video(
    resources: Any,
    owner: Any,
    slug: str,
    *,
    visibility: str = "public",
    status: str = "ready",
    source: bool = True,
) -> Video:
    """A video row with files in storage, as processing leaves it (no ffmpeg needed)."""
    prefix = keys.video_prefix(slug)
    images: dict[str, Any] = {}
    for size, width in (("poster", 360), ("card", 240), ("grid", 120)):
        suffix = "" if size == "poster" else size
        pair = {ext: keys.poster_key(slug, ext, suffix) for ext in ("jpg", "webp")}
        for ext, key in pair.items():
            await resources.storage.put_bytes(key, f"{size}-{ext}".encode())
        images[size] = {**pair, "width": width, "height": width * 16 // 9}
    video = Video(
        slug=slug,
        owner=owner.id,
        caption="Hello #one",
        hashtags=["one"],
        status=status,
        visibility=visibility,
        failure_reason="the file is not a video" if status == "failed" else "",
        duration_ms=2500,
        width=360,
        height=640,
        size_bytes=100,
        source_key=f"{prefix}original.mp4" if source else "",
        poster_key=images["poster"]["jpg"],
        images=images,
    )
    await video.save()
    if source:
        await resources.storage.put_bytes(f"{prefix}original.mp4", b"original")
    for label, width, height in (("360p", 360, 640), ("240p", 240, 426)):
        key = keys.rendition_key(slug, label)
        await resources.storage.put_bytes(key, label.encode())
        row = Rendition(
            video=video.id, label=label, width=width, height=height, bitrate=800_000,
            storage_key=key, size_bytes=4,
        )  # fmt: skip
        await row.save()
    hls = Rendition(video=video.id, kind="hls", label="hls", storage_key=f"{prefix}hls/master.m3u8")
    await hls.save()
    await resources.storage.put_bytes(f"{prefix}hls/master.m3u8", b"#EXTM3U\n")
    return video


async def snapshot(resources: Any) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """Every stored file and every video row, to check that a refusal changed nothing."""
    files = {key: await resources.storage.read_bytes(key) for key in await stored_keys(resources)}
    rows = await Video.select().order_by(Video.id)
    return files, rows


def no_uploads_left(resources: Any) -> bool:
    folder = tus_services.uploads_dir(resources.settings)
    return not folder.exists() or not list(folder.iterdir())


# -- GET -------------------------------------------------------------------------------------


async def test_document_of_a_ready_public_video(
    nv_client: Any, nv_resources: Any, creator: Any, how: str
) -> None:
    await stored_video(nv_resources, creator, "pub1")
    headers = await signed_in(nv_client, creator, how)
    body = (await nv_client.get(f"{API}/pub1", headers=headers)).json()
    assert body["id"] == "pub1"
    assert (body["status"], body["failure_reason"], body["can_retry"]) == ("ready", None, False)
    assert (body["caption"], body["hashtags"], body["mentions"]) == ("Hello #one", ["one"], [])
    assert (body["visibility"], body["owner"], body["custom_cover"]) == ("public", "maker", False)
    assert (body["duration"], body["width"], body["height"]) == (2.5, 360, 640)
    assert body["poster"] == {
        "jpg": "/media/videos/pub1/poster.jpg",
        "webp": "/media/videos/pub1/poster.webp",
        "width": 360,
        "height": 640,
    }
    assert body["card"]["jpg"] == "/media/videos/pub1/poster-card.jpg"
    assert body["grid"]["webp"] == "/media/videos/pub1/poster-grid.webp"
    assert [(r["label"], r["width"], r["bitrate"]) for r in body["renditions"]] == [
        ("240p", 240, 800_000),
        ("360p", 360, 800_000),
    ]
    assert body["hls"] == "/media/videos/pub1/hls/master.m3u8"
    assert body["created_at"]
    # A signed-out visitor sees the same public document, and its URLs serve the files.
    async with fresh_client(nv_client) as visitor:
        public = await visitor.get(f"{API}/pub1")
        assert public.status_code == 200
        assert public.json()["renditions"] == body["renditions"]
        assert (await visitor.get(body["renditions"][0]["url"])).content == b"240p"
        assert (await visitor.get(body["poster"]["webp"])).content == b"poster-webp"


@pytest.mark.parametrize(
    ("visibility", "status", "shown"),
    [
        ("private", "ready", "ready"),
        ("followers", "ready", "ready"),
        ("public", "processing", "processing"),
        ("public", "uploading", "processing"),
        ("public", "held", "processing"),
        ("public", "failed", "failed"),
    ],
)
async def test_owner_sees_any_status_others_get_404(
    nv_client: Any, nv_resources: Any, creator: Any, visibility: str, status: str, shown: str
) -> None:
    await stored_video(nv_resources, creator, "hid1", visibility=visibility, status=status)
    owner = await bearer(creator)
    response = await nv_client.get(f"{API}/hid1", headers=owner)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == shown
    # Media of a video that is not public and ready goes out on signed URLs only.
    assert "sig=" in body["poster"]["jpg"]
    assert all("sig=" in r["url"] for r in body["renditions"])
    assert (await nv_client.get(body["renditions"][0]["url"])).status_code == 200
    if status == "failed":
        assert body["failure_reason"] == "the file is not a video"
        assert body["can_retry"] is True
    else:
        assert body["failure_reason"] is None
    other = await bearer(await make_user(nv_resources, "other"))
    missing = await nv_client.get(f"{API}/hid1", headers=other)
    assert missing.status_code == 404
    unknown = await nv_client.get(f"{API}/nosuchvideo", headers=other)
    assert missing.json()["detail"] == unknown.json()["detail"]
    async with fresh_client(nv_client) as visitor:
        assert (await visitor.get(f"{API}/hid1")).status_code == 404


async def test_unknown_ids_are_404(nv_client: Any, nv_resources: Any, creator: Any) -> None:
    owner = await bearer(creator)
    for video_id in ("nope", "x" * 40, "a%20b"):
        response = await nv_client.get(f"{API}/{video_id}", headers=owner)
        assert response.status_code == 404
        assert "no video" in response.json()["detail"].lower()


# -- PATCH -----------------------------------------------------------------------------------


async def test_patch_changes_caption_and_visibility(
    nv_client: Any, nv_resources: Any, creator: Any, how: str
) -> None:
    await stored_video(nv_resources, creator, "pat1")
    await make_user(nv_resources, "friend")
    headers = await signed_in(nv_client, creator, how)
    response = await nv_client.patch(
        f"{API}/pat1",
        headers=headers,
        json={"caption": " Sunset with @friend #Beach ", "visibility": "private"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["caption"], body["hashtags"], body["mentions"]) == (
        "Sunset with @friend #Beach",
        ["beach"],
        ["friend"],
    )
    assert body["visibility"] == "private"
    assert "sig=" in body["renditions"][0]["url"]
    row = await services.get_video(slug="pat1")
    assert row is not None
    assert (row.visibility, row.caption) == ("private", "Sunset with @friend #Beach")
    # Fields left out stay as they are.
    again = await nv_client.patch(f"{API}/pat1", headers=headers, json={"visibility": "public"})
    assert (again.json()["visibility"], again.json()["caption"]) == ("public", body["caption"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"visibility": "everyone"}, "Visibility must be one of: public, followers"),
        ({"caption": "x" * 2201}, "at most 2200 characters"),
        ({"caption": "ok", "title": "t", "colour": "red"}, "Unknown fields: colour, title"),
        ({"tags": ["a"]}, "Unknown field: tags"),
        ({"caption": 5}, "caption must be text"),
        (["caption"], "Send a JSON object"),
        ("caption=hello", "Send a JSON object"),
        ("", "Send a JSON object"),
    ],
)
async def test_patch_refuses_bad_input_and_changes_nothing(
    nv_client: Any, nv_resources: Any, creator: Any, body: Any, message: str
) -> None:
    await stored_video(nv_resources, creator, "pat2")
    before = await snapshot(nv_resources)
    headers = await bearer(creator)
    if isinstance(body, str):
        response = await nv_client.patch(f"{API}/pat2", headers=headers, content=body)
    else:
        response = await nv_client.patch(f"{API}/pat2", headers=headers, json=body)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert await snapshot(nv_resources) == before


async def test_patch_by_others_signed_out_and_without_csrf(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    await stored_video(nv_resources, creator, "open1")
    await stored_video(nv_resources, creator, "priv1", visibility="private")
    before = await snapshot(nv_resources)
    other = await bearer(await make_user(nv_resources, "other"))
    change = {"caption": "mine now"}
    public = await nv_client.patch(f"{API}/open1", headers=other, json=change)
    assert public.status_code == 403
    assert "owner" in public.json()["detail"]
    assert (await nv_client.patch(f"{API}/priv1", headers=other, json=change)).status_code == 404
    async with fresh_client(nv_client) as visitor:
        await visitor.get("/login")
        csrf = {"x-csrftoken": str(visitor.cookies.get("nv_csrf"))}
        signed_out = await visitor.patch(f"{API}/open1", headers=csrf, json=change)
        assert signed_out.status_code == 401
        assert "Bearer" in signed_out.json()["detail"]
        await login(visitor, "maker")
        forged = await visitor.patch(f"{API}/open1", json=change)
        assert forged.status_code == 403
    assert await snapshot(nv_resources) == before


# -- DELETE ----------------------------------------------------------------------------------


async def test_owner_deletes_a_video_and_its_files(
    nv_client: Any, nv_resources: Any, creator: Any, how: str
) -> None:
    await stored_video(nv_resources, creator, "del1")
    await stored_video(nv_resources, creator, "keep1")
    headers = await signed_in(nv_client, creator, how)
    response = await nv_client.delete(f"{API}/del1", headers=headers)
    assert response.status_code == 204
    assert await services.get_video(slug="del1") is None
    assert not [k for k in await stored_keys(nv_resources) if k.startswith("videos/del1/")]
    assert await services.get_video(slug="keep1") is not None
    assert (await nv_client.get(f"{API}/del1", headers=headers)).status_code == 404
    assert (await nv_client.delete(f"{API}/del1", headers=headers)).status_code == 404


async def test_delete_by_moderators_others_and_signed_out(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    await stored_video(nv_resources, creator, "open2")
    await stored_video(nv_resources, creator, "priv2", visibility="private")
    before = await snapshot(nv_resources)
    other = await bearer(await make_user(nv_resources, "other"))
    assert (await nv_client.delete(f"{API}/open2", headers=other)).status_code == 403
    assert (await nv_client.delete(f"{API}/priv2", headers=other)).status_code == 404
    async with fresh_client(nv_client) as visitor:
        assert (await visitor.delete(f"{API}/open2")).status_code == 403  # no CSRF token
        csrf = {"x-csrftoken": await csrf_token(visitor)}
        assert (await visitor.delete(f"{API}/open2", headers=csrf)).status_code == 401
    assert await snapshot(nv_resources) == before

    moderator = await bearer(await make_user(nv_resources, "modo", role="moderator"))
    assert (await nv_client.delete(f"{API}/priv2", headers=moderator)).status_code == 204
    admin = await bearer(await make_user(nv_resources, "boss", role="admin"))
    assert (await nv_client.delete(f"{API}/open2", headers=admin)).status_code == 204
    assert await Video.count() == 0
    assert await stored_keys(nv_resources) == []


# -- retry -----------------------------------------------------------------------------------


async def test_retry_of_a_failed_video_processes_it_again(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path],
    how: str,
) -> None:  # fmt: skip
    video = await services.ingest_file(nv_resources, creator, clips["h264"], "retry me")
    await nv_run_jobs()
    # A passing failure after the original was kept, as a crashed encoder leaves it.
    await Video.update({Video.status: "failed", Video.failure_reason: "encoder crashed"}).where(
        Video.id == video.id
    )
    headers = await signed_in(nv_client, creator, how)
    failed = (await nv_client.get(f"{API}/{video.slug}", headers=headers)).json()
    assert (failed["status"], failed["can_retry"]) == ("failed", True)
    response = await nv_client.post(f"{API}/{video.slug}/retry", headers=headers)
    assert response.status_code == 202, response.text
    assert (response.json()["status"], response.json()["failure_reason"]) == ("processing", None)
    await nv_run_jobs()
    done = (await nv_client.get(f"{API}/{video.slug}", headers=headers)).json()
    assert done["status"] == "ready"
    assert done["renditions"]


async def test_retry_refusals(nv_client: Any, nv_resources: Any, creator: Any) -> None:
    await stored_video(nv_resources, creator, "ready1")
    await stored_video(nv_resources, creator, "gone1", status="failed", source=False)
    await stored_video(nv_resources, creator, "fail1", status="failed")
    before = await snapshot(nv_resources)
    owner = await bearer(creator)
    ready = await nv_client.post(f"{API}/ready1/retry", headers=owner)
    assert ready.status_code == 409
    assert ready.json()["detail"] == "Only failed videos can be retried."
    gone = await nv_client.post(f"{API}/gone1/retry", headers=owner)
    assert gone.status_code == 409
    assert gone.json()["detail"] == "The original file is gone; upload the video again."
    other = await bearer(await make_user(nv_resources, "other"))
    assert (await nv_client.post(f"{API}/fail1/retry", headers=other)).status_code == 404
    assert (await nv_client.post(f"{API}/ready1/retry", headers=other)).status_code == 403
    assert (await nv_client.post(f"{API}/nope/retry", headers=owner)).status_code == 404
    assert await snapshot(nv_resources) == before


# -- POST: plain upload ----------------------------------------------------------------------


async def test_plain_upload_becomes_a_ready_video(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path],
    how: str,
) -> None:  # fmt: skip
    data = clips["h264"].read_bytes()
    headers = await signed_in(nv_client, creator, how)
    response = await nv_client.post(
        API,
        params={"caption": "Plain #upload", "visibility": "followers", "filename": "clip.MP4"},
        headers={**headers, "Content-Type": "video/mp4"},
        content=data,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{API}/{body['id']}"
    assert (body["status"], body["caption"], body["hashtags"]) == (
        "processing",
        "Plain #upload",
        ["upload"],
    )
    assert body["visibility"] == "followers"
    video = await services.get_video(slug=body["id"])
    assert video is not None
    assert video.source_key.endswith("/original.mp4")
    assert await nv_resources.storage.read_bytes(video.source_key) == data
    assert video.size_bytes == len(data)
    assert no_uploads_left(nv_resources)
    await nv_run_jobs()
    ready = (await nv_client.get(response.headers["location"], headers=headers)).json()
    assert ready["status"] == "ready"
    assert ready["duration"] == pytest.approx(2.0, abs=0.15)
    assert (await nv_client.get(ready["renditions"][0]["url"])).status_code == 200
    assert ready["ladder"] == [r["label"] for r in ready["renditions"]]
    strip = ready["strip"]
    assert (strip["frames"], strip["height"]) == (12, 160)
    assert strip["interval_ms"] == int(ready["duration"] * 1000) // 12
    strip_image = await nv_client.get(strip["webp"])
    assert strip_image.status_code == 200
    assert strip_image.content[8:12] == b"WEBP"


async def test_plain_upload_without_content_length(
    nv_client: Any, nv_resources: Any, creator: Any, clips: dict[str, Path]
) -> None:
    data = clips["h264"].read_bytes()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 7000):
            yield data[start : start + 7000]

    response = await nv_client.post(API, headers=await bearer(creator), content=pieces())
    assert response.status_code == 201, response.text
    video = await services.get_video(slug=response.json()["id"])
    assert video is not None
    assert video.size_bytes == len(data)
    assert await nv_resources.storage.read_bytes(video.source_key) == data
    assert await Upload.count().where(Upload.status == "uploading") == 0
    assert no_uploads_left(nv_resources)


async def test_plain_upload_refusals(nv_client: Any, nv_resources: Any, creator: Any) -> None:
    owner = await bearer(creator)
    member = await bearer(await make_user(nv_resources, "watcher", role="member"))
    cases: list[tuple[dict[str, str], dict[str, str], bytes, int, str]] = [
        (member, {}, b"data", 403, "creator"),
        ({"Authorization": "Bearer nv_wrong"}, {}, b"data", 401, "Bearer"),
        (owner, {}, b"", 400, "The body is empty"),
        (owner, {"visibility": "world"}, b"data", 400, "Visibility must be one of"),
        (owner, {"caption": "c" * 2201}, b"data", 400, "at most 2200"),
        (owner, {"publish_at": "next week"}, b"data", 400, "for example"),
        (owner, {"publish_at": "2001-01-01T00:00:00Z"}, b"data", 400, "has passed"),
        (owner, {"publish_at": "2999-01-01T00:00:00Z"}, b"data", 400, "a year ahead"),
    ]
    for headers, params, body, status, message in cases:
        response = await nv_client.post(API, headers=headers, params=params, content=body)
        assert response.status_code == status, response.text
        assert message in response.json()["detail"]
    async with fresh_client(nv_client) as visitor:
        csrf = {"x-csrftoken": await csrf_token(visitor)}
        signed_out = await visitor.post(API, headers=csrf, content=b"data")
        assert signed_out.status_code == 401
    assert await Video.count() == 0
    assert await Upload.count().where(Upload.status == "uploading") == 0
    assert await stored_keys(nv_resources) == []
    assert no_uploads_left(nv_resources)


async def test_plain_upload_limits(
    nv_settings_factory: Callable[..., Any], clips: dict[str, Path]
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for, run_jobs

    size = clips["h264"].stat().st_size
    settings = nv_settings_factory(
        media={
            "max_bytes": size + 10,
            "upload_quota_bytes": size + size // 2,
            "upload_max_concurrent": 1,
        }
    )
    data = clips["h264"].read_bytes()
    too_big = data + b"x" * 11

    async def pieces(payload: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 4096):
            yield payload[start : start + 4096]

    async with client_for(create_app(settings)) as client:
        resources = client.app.state.resources
        creator = await make_user(resources, "maker")
        owner = await bearer(creator)

        announced = await client.post(API, headers=owner, content=too_big)
        assert announced.status_code == 413
        assert f"the limit is {size + 10} bytes" in announced.json()["detail"]
        streamed = await client.post(API, headers=owner, content=pieces(too_big))
        assert streamed.status_code == 413
        assert f"larger than {size + 10} bytes" in streamed.json()["detail"]
        assert await Video.count() == 0
        assert no_uploads_left(resources)

        # An unfinished tus upload counts against the quota and the concurrency limit.
        pending = await tus_services.create_upload(settings, creator, 100, {})
        busy = await client.post(API, headers=owner, content=data)
        assert busy.status_code == 429
        assert "unfinished uploads" in busy.json()["detail"]
        await tus_services.terminate(settings, pending)

        accepted = await client.post(API, headers=owner, content=data)
        assert accepted.status_code == 201
        # Its processing runs on its own (jobs); the refusals below must change nothing
        # of what it leaves, so let it finish before taking stock.
        await run_jobs(client.app)
        before = await snapshot(resources)
        over = await client.post(API, headers=owner, content=data)
        assert over.status_code == 413
        assert "quota" in over.json()["detail"]
        over_streamed = await client.post(API, headers=owner, content=pieces(data))
        assert over_streamed.status_code == 413
        assert await snapshot(resources) == before
        assert await Upload.count().where(Upload.status == "uploading") == 0
        assert no_uploads_left(resources)


async def test_a_body_cut_short_leaves_nothing(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    from nichevid.media.plain_upload import receive_video

    async def cut_off() -> AsyncIterator[bytes]:
        yield b"a" * 3000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await receive_video(nv_resources, creator, cut_off(), 10_000, {})
    short = await nv_client.post(
        API, headers={**await bearer(creator), "Content-Length": "10"}, content=b"12345"
    )
    assert short.status_code == 400
    assert "ended after 5 of 10 bytes" in short.json()["detail"]
    assert await Video.count() == 0
    assert await Upload.count().where(Upload.status == "uploading") == 0
    assert no_uploads_left(nv_resources)


# -- OpenAPI ---------------------------------------------------------------------------------


async def test_the_openapi_schema_describes_the_api(nv_client: Any) -> None:
    schema = (await nv_client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    expected = {
        API: {"post"},
        f"{API}/{{video_id}}": {"get", "patch", "delete"},
        f"{API}/{{video_id}}/retry": {"post"},
        f"{API}/{{video_id}}/cover": {"put"},
    }
    for path, methods in expected.items():
        assert path in paths, sorted(paths)
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation["tags"] == ["videos"]
            assert operation["security"] == [{"BearerToken": []}]
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    upload_body = paths[API]["post"]["requestBody"]["content"]
    assert upload_body["application/octet-stream"]["schema"]["format"] == "binary"
    changes = paths[f"{API}/{{video_id}}"]["patch"]["requestBody"]["content"]["application/json"]
    assert changes["schema"]["additionalProperties"]["maxLength"] == 200  # plugins' choices
    assert set(changes["schema"]["properties"]) == {"caption", "visibility", "publish_at"}
    document = schema["components"]["schemas"]["VideoDocument"]
    assert {"id", "status", "renditions", "hls", "poster", "can_retry"} <= set(
        document["properties"]
    )


# -- the append path both upload kinds share --------------------------------------------------


async def test_bodies_of_many_megabytes_are_written_exactly(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    data = os.urandom(3 * tus_services.WRITE_SIZE + 12345)

    async def pieces(payload: bytes, size: int = 65536) -> AsyncIterator[bytes]:
        for start in range(0, len(payload), size):
            yield payload[start : start + size]

    response = await nv_client.post(API, headers=await bearer(creator), content=pieces(data))
    assert response.status_code == 201, response.text
    video = await services.get_video(slug=response.json()["id"])
    assert video is not None
    assert await nv_resources.storage.read_bytes(video.source_key) == data

    # A tus append over several batches: the checksum covers all of them, in order.
    upload = await tus_services.create_upload(nv_resources.settings, creator, len(data) * 2, {})
    digest = hashlib.sha256(data).digest()
    upload = await tus_services.append(nv_resources, upload, 0, pieces(data), ("sha256", digest))
    assert upload.received == len(data)
    part = tus_services.part_path(nv_resources.settings, upload.uid)
    assert part.read_bytes() == data
    wrong = hashlib.sha256(b"other").digest()
    with pytest.raises(tus_services.UploadError, match="checksum"):
        await tus_services.append(nv_resources, upload, len(data), pieces(data), ("sha256", wrong))
    assert part.read_bytes() == data

    # A connection that breaks after several batches keeps every byte that arrived.
    async def cut_off() -> AsyncIterator[bytes]:
        async for piece in pieces(data[: 2 * tus_services.WRITE_SIZE + 777], 50_000):
            yield piece
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await tus_services.append(nv_resources, upload, len(data), cut_off())
    fresh = await tus_services.get_upload(upload.uid)
    assert fresh is not None
    assert fresh.received == len(data) + 2 * tus_services.WRITE_SIZE + 777
    assert part.read_bytes() == data + data[: 2 * tus_services.WRITE_SIZE + 777]
