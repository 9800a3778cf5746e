"""A whole instance on S3: uploads become ready videos whose files live in the bucket,
and browsers get them through the media route (or S3-signed addresses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from nichevid.media import services
from nichevid.testing.servers import Server
from nichevid_storage_s3.storage import S3Storage

from .conftest import bucket_keys, login


@pytest.fixture
async def creator(make_user: Any) -> Any:
    return await make_user("cara", role="creator")


async def _ready(nv_resources: Any, nv_run_jobs: Any, owner: Any, clip: Path, **kw: Any) -> Any:
    video = await services.ingest_file(nv_resources, owner, clip, "on s3 #bucket", **kw)
    await nv_run_jobs()
    ready = await services.get_video(video_id=video.id)
    assert ready is not None
    assert ready.status == "ready", ready.failure_reason
    return ready


async def test_the_instance_checks_and_uses_the_bucket(
    nv_client: Any, nv_resources: Any, make_user: Any, s3_server: Server, s3_bucket: str
) -> None:
    assert isinstance(nv_resources.storage, S3Storage)
    ready = await nv_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["storage"]["ok"] is True
    # The admin home says where the media are.
    await make_user("root", role="admin")
    assert (await login(nv_client, "root")).status_code == 303
    page = await nv_client.get("/admin", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert f"<td>s3: {s3_bucket}/ @ {s3_server.url} (proxy)</td>" in page.text


async def test_an_upload_is_processed_from_and_into_the_bucket(
    nv_client: Any,
    nv_resources: Any,
    nv_run_jobs: Any,
    creator: Any,
    clips: dict[str, Path],
    s3_server: Server,
    s3_bucket: str,
) -> None:
    video = await _ready(nv_resources, nv_run_jobs, creator, clips["vp9"])
    slug = video.slug
    keys = await bucket_keys(s3_server, s3_bucket)
    assert f"videos/{slug}/original.webm" in keys
    assert f"videos/{slug}/160p.mp4" in keys
    assert f"videos/{slug}/poster.jpg" in keys
    assert not (nv_resources.settings.data_dir / "media" / "videos").exists()
    stored = await nv_resources.storage.read_bytes(f"videos/{slug}/160p.mp4")

    page = await nv_client.get(f"/v/{slug}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert f"/media/videos/{slug}/160p.mp4" in page.text
    whole = await nv_client.get(f"/media/videos/{slug}/160p.mp4")
    assert whole.status_code == 200
    assert whole.content == stored
    assert whole.headers["content-type"] == "video/mp4"
    part = await nv_client.get(f"/media/videos/{slug}/160p.mp4", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == stored[100:200]
    assert (await nv_client.get(f"/media/videos/{slug}/original.webm")).status_code == 404

    assert await services.delete_video(nv_resources, video)
    assert [key for key in await bucket_keys(s3_server, s3_bucket) if slug in key] == []


async def test_restricted_videos_need_the_cores_signature(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await _ready(nv_resources, nv_run_jobs, creator, clips["h264"], visibility="private")
    key = f"videos/{video.slug}/160p.mp4"
    assert (await nv_client.get(f"/media/{key}")).status_code == 403
    url = await services.media_url(nv_resources, video, key, creator)
    assert url.startswith(f"/media/{key}?")
    signed = await nv_client.get(url)
    assert signed.status_code == 200
    assert signed.content == await nv_resources.storage.read_bytes(key)


async def test_x_accel_redirect_is_not_used_for_files_in_a_bucket(
    nv_settings_factory: Any, nv_settings: Any, creator: Any
) -> None:
    from nichevid.app import create_app
    from nichevid.media.tables import Video
    from nichevid.testing import client_for

    settings = nv_settings_factory(
        server={"x_accel_redirect": True},
        storage={"backend": "s3"},
        plugin={"s3": {k: v for k, v in nv_settings.plugin["s3"].items() if k != "_parsed"}},
    )
    async with client_for(create_app(settings)) as client:
        storage = client.app.state.resources.storage
        await Video(slug="xa1", owner=creator.id, visibility="public", status="ready").save()
        await storage.put_bytes("videos/xa1/360p.mp4", b"0123456789")
        response = await client.get("/media/videos/xa1/360p.mp4", headers={"Range": "bytes=2-5"})
        assert response.status_code == 206
        assert response.content == b"2345"
        assert "x-accel-redirect" not in response.headers


async def test_presigned_pages_send_browsers_to_the_bucket(
    nv_settings_factory: Any,
    nv_settings: Any,
    creator: Any,
    clips: dict[str, Path],
    s3_server: Server,
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for, run_jobs

    section = {k: v for k, v in nv_settings.plugin["s3"].items() if k != "_parsed"}
    settings = nv_settings_factory(
        storage={"backend": "s3"}, plugin={"s3": {**section, "serve": "presign"}}
    )
    async with client_for(create_app(settings)) as client:
        resources = client.app.state.resources
        video = await services.ingest_file(resources, creator, clips["h264"], "signed")
        await run_jobs(client.app)
        page = await client.get(f"/v/{video.slug}", headers={"accept": "text/html"})
        assert page.status_code == 200
        prefix = f"{s3_server.url}/{section['bucket']}/videos/{video.slug}/160p.mp4?"
        start = page.text.index(prefix)
        src = page.text[start : page.text.index('"', start)].replace("&amp;", "&")
        assert "/media/videos/" not in page.text
        async with httpx.AsyncClient() as browser:
            fetched = await browser.get(src, headers={"Range": "bytes=0-99"})
        assert fetched.status_code == 206
        stored = await resources.storage.read_bytes(f"videos/{video.slug}/160p.mp4")
        assert fetched.content == stored[:100]
