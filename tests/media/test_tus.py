"""tus 1.0.0 uploads at /uploads/: protocol, extensions, limits, and the tuspy client."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.tables import Upload, Video
from nichevid.media.tus import services as tus_services
from nichevid.media.tus.jobs import expire_uploads
from nichevid.testing.servers import free_port, instance_env, stop_process

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}


def metadata(**values: str) -> str:
    """An ``Upload-Metadata`` header."""
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


async def user_with_token(resources: Any, name: str, role: str) -> dict[str, str]:
    """Create ``name`` with ``role``; return Bearer headers of a fresh API token."""
    from nichevid.accounts import services
    from nichevid.accounts.tokens import create_token

    user = await services.create_user(
        resources.settings,
        resources.pm,
        username=name,
        email=f"{name}@example.org",
        password="correct horse battery",
        role=role,
    )
    plain, _ = await create_token(user, "tus tests")
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
async def auth(nv_resources: Any) -> dict[str, str]:
    """Bearer headers of a creator."""
    return await user_with_token(nv_resources, "maker", "creator")


async def create(client: Any, auth: dict[str, str], length: int, **extra: str) -> Any:
    headers = {
        **TUS,
        **auth,
        "Upload-Length": str(length),
        "Upload-Metadata": metadata(filename="clip.mp4", caption="My #first clip"),
        **extra,
    }
    return await client.post("/uploads/", headers=headers)


def upload_id(response: Any) -> str:
    return str(response.headers["location"]).rstrip("/").rsplit("/", 1)[-1]


async def patch(
    client: Any, auth: dict[str, str], uid: str, offset: int, body: bytes, **extra: str
) -> Any:
    headers = {**OCTETS, **auth, "Upload-Offset": str(offset), **extra}
    return await client.patch(f"/uploads/{uid}", headers=headers, content=body)


async def test_options_advertises_the_protocol(nv_client: Any) -> None:
    response = await nv_client.options("/uploads/")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert response.headers["tus-resumable"] == "1.0.0"
    extensions = response.headers["tus-extension"].split(",")
    assert set(extensions) >= {
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    }
    assert "sha1" in response.headers["tus-checksum-algorithm"].split(",")
    assert int(response.headers["tus-max-size"]) == 2 * 1024**3


async def test_wrong_version_is_412(nv_client: Any, auth: dict[str, str]) -> None:
    response = await nv_client.post(
        "/uploads/", headers={**auth, "Tus-Resumable": "0.2.2", "Upload-Length": "10"}
    )
    assert response.status_code == 412
    assert response.headers["tus-version"] == "1.0.0"
    assert await Upload.count() == 0


async def test_create_patch_in_chunks_and_resume_after_head(
    nv_client: Any, nv_resources: Any, auth: dict[str, str], clips: dict[str, Path]
) -> None:
    data = clips["h264"].read_bytes()
    created = await create(nv_client, auth, len(data))
    assert created.status_code == 201, created.text
    assert created.headers["upload-offset"] == "0"
    assert "upload-expires" in created.headers
    uid = upload_id(created)
    part = tus_services.part_path(nv_resources.settings, uid)
    assert part.exists()

    half = len(data) // 2
    first = await patch(nv_client, auth, uid, 0, data[:1000])
    assert first.status_code == 204, first.text
    assert first.headers["upload-offset"] == "1000"
    second = await patch(nv_client, auth, uid, 1000, data[1000:half])
    assert second.headers["upload-offset"] == str(half)

    # The client lost track: HEAD gives the server's offset, no caching.
    head = await nv_client.head(f"/uploads/{uid}", headers={**TUS, **auth})
    assert head.status_code == 200
    assert head.headers["upload-offset"] == str(half)
    assert head.headers["upload-length"] == str(len(data))
    assert head.headers["cache-control"] == "no-store"

    status = await nv_client.get(f"/api/uploads/{uid}", headers=auth)
    assert status.json()["status"] == "uploading"
    assert status.json()["video_id"] is None

    last = await patch(nv_client, auth, uid, half, data[half:])
    assert last.status_code == 204, last.text
    assert last.headers["upload-offset"] == str(len(data))
    assert not part.exists()

    body = (await nv_client.get(f"/api/uploads/{uid}", headers=auth)).json()
    assert body["status"] == "complete"
    video = await Video.objects().where(Video.slug == body["video_id"]).first()
    assert video is not None
    assert video.caption == "My #first clip"
    assert video.size_bytes == len(data)
    assert await nv_resources.storage.read_bytes(video.source_key) == data


async def test_creation_with_upload(
    nv_client: Any, auth: dict[str, str], nv_resources: Any
) -> None:
    headers = {
        **OCTETS,
        **auth,
        "Upload-Length": "100",
        "Upload-Metadata": metadata(filename="a.mp4", visibility="private"),
    }
    response = await nv_client.post("/uploads/", headers=headers, content=b"x" * 40)
    assert response.status_code == 201, response.text
    assert response.headers["upload-offset"] == "40"
    uid = upload_id(response)
    assert tus_services.part_path(nv_resources.settings, uid).read_bytes() == b"x" * 40


async def test_checksum_mismatch_is_460_and_appends_nothing(
    nv_client: Any, auth: dict[str, str], nv_resources: Any
) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    await patch(nv_client, auth, uid, 0, b"a" * 10)
    wrong = base64.b64encode(hashlib.sha1(b"something else").digest()).decode()
    response = await patch(
        nv_client, auth, uid, 10, b"b" * 10, **{"Upload-Checksum": f"sha1 {wrong}"}
    )
    assert response.status_code == 460
    assert "checksum" in response.json()["detail"]
    head = await nv_client.head(f"/uploads/{uid}", headers={**TUS, **auth})
    assert head.headers["upload-offset"] == "10"
    assert tus_services.part_path(nv_resources.settings, uid).read_bytes() == b"a" * 10

    right = base64.b64encode(hashlib.sha1(b"b" * 10).digest()).decode()
    response = await patch(
        nv_client, auth, uid, 10, b"b" * 10, **{"Upload-Checksum": f"sha1 {right}"}
    )
    assert response.status_code == 204
    assert response.headers["upload-offset"] == "20"

    unknown = await patch(nv_client, auth, uid, 20, b"c", **{"Upload-Checksum": "crc32 AAAA"})
    assert unknown.status_code == 400


async def test_wrong_offset_is_409(nv_client: Any, auth: dict[str, str]) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    await patch(nv_client, auth, uid, 0, b"a" * 10)
    for offset in (0, 5, 20):
        response = await patch(nv_client, auth, uid, offset, b"b" * 10)
        assert response.status_code == 409
        assert "Upload-Offset must be 10" in response.json()["detail"]
    row = await Upload.objects().where(Upload.uid == uid).first()
    assert row is not None
    assert row.received == 10


async def test_patch_needs_the_offset_content_type(nv_client: Any, auth: dict[str, str]) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    response = await nv_client.patch(
        f"/uploads/{uid}",
        headers={**TUS, **auth, "Upload-Offset": "0", "Content-Type": "text/plain"},
        content=b"a",
    )
    assert response.status_code == 415


async def test_a_patch_in_progress_holds_off_another(nv_client: Any, auth: dict[str, str]) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    # Another process holds the lease: its PATCH is still streaming.
    far = int(time.time() * 1000) + 60_000
    await Upload.update({Upload.lease_until: far}).where(Upload.uid == uid)
    response = await patch(nv_client, auth, uid, 0, b"a" * 10)
    assert response.status_code == 423
    row = await Upload.objects().where(Upload.uid == uid).first()
    assert row is not None
    assert row.received == 0


async def test_expired_upload_is_410_and_cleaned_up(
    nv_client: Any, auth: dict[str, str], nv_resources: Any
) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    await patch(nv_client, auth, uid, 0, b"a" * 10)
    past = datetime.now(UTC) - timedelta(minutes=1)
    await Upload.update({Upload.expires_at: past}).where(Upload.uid == uid)

    assert (await patch(nv_client, auth, uid, 10, b"b")).status_code == 410
    head = await nv_client.head(f"/uploads/{uid}", headers={**TUS, **auth})
    assert head.status_code == 410
    assert (await nv_client.get(f"/api/uploads/{uid}", headers=auth)).json()["status"] == "expired"

    keep = upload_id(await create(nv_client, auth, 100))
    assert await expire_uploads({"settings": nv_resources.settings}) == 1
    assert not tus_services.part_path(nv_resources.settings, uid).exists()
    assert await Upload.count().where(Upload.uid == uid) == 0
    assert await Upload.count().where(Upload.uid == keep) == 1


async def test_the_cleanup_is_a_registered_cron_job(nv_resources: Any) -> None:
    from nichevid.jobs import CronJob

    crons = [job for jobs in nv_resources.pm.hook.register_cron_jobs() for job in jobs or []]
    assert any(isinstance(c, CronJob) and c.name == "media.expire_uploads" for c in crons)


async def test_termination_removes_the_partial_data(
    nv_client: Any, auth: dict[str, str], nv_resources: Any
) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    await patch(nv_client, auth, uid, 0, b"a" * 10)
    response = await nv_client.delete(f"/uploads/{uid}", headers={**TUS, **auth})
    assert response.status_code == 204
    assert not tus_services.part_path(nv_resources.settings, uid).exists()
    head = await nv_client.head(f"/uploads/{uid}", headers={**TUS, **auth})
    assert head.status_code == 404


async def test_signed_out_is_401_and_members_403(nv_client: Any, nv_resources: Any) -> None:
    # A script with a revoked or mistyped token.
    bad_token = {**TUS, "Upload-Length": "10", "Authorization": "Bearer not-a-token"}
    anonymous = await nv_client.post("/uploads/", headers=bad_token)
    assert anonymous.status_code == 401
    assert "log in" in anonymous.json()["detail"].lower()
    # A browser whose session ended: it passes the CSRF check, then needs to log in.
    await nv_client.get("/login")
    csrf = {"x-csrftoken": str(nv_client.cookies.get("nv_csrf"))}
    signed_out = await nv_client.post("/uploads/", headers={**TUS, **csrf, "Upload-Length": "10"})
    assert signed_out.status_code == 401
    member = await user_with_token(nv_resources, "watcher", "member")
    refused = await create(nv_client, member, 10)
    assert refused.status_code == 403
    assert "creator" in refused.json()["detail"]
    assert await Upload.count() == 0


async def test_uploads_of_others_are_invisible(
    nv_client: Any, auth: dict[str, str], nv_resources: Any
) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    other = await user_with_token(nv_resources, "other", "creator")
    assert (await nv_client.head(f"/uploads/{uid}", headers={**TUS, **other})).status_code == 404
    assert (await patch(nv_client, other, uid, 0, b"a")).status_code == 404
    assert (await nv_client.get(f"/api/uploads/{uid}", headers=other)).status_code == 404


async def test_limits_size_quota_and_concurrency(
    nv_settings_factory: Callable[..., Any], nv_plugins: list[Any]
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    settings = nv_settings_factory(
        media={"max_bytes": 1000, "upload_quota_bytes": 1500, "upload_max_concurrent": 2}
    )
    async with client_for(create_app(settings)) as client:
        auth = await user_with_token(client.app.state.resources, "maker", "creator")
        too_big = await create(client, auth, 1001)
        assert too_big.status_code == 413
        assert "limit is 1000 bytes" in too_big.json()["detail"]
        assert (await create(client, auth, 900)).status_code == 201
        over_quota = await create(client, auth, 700)
        assert over_quota.status_code == 413
        assert "quota" in over_quota.json()["detail"]
        assert (await create(client, auth, 100)).status_code == 201
        third = await create(client, auth, 10)
        assert third.status_code == 429
        assert "unfinished uploads" in third.json()["detail"]
        assert await Upload.count() == 2


async def test_more_bytes_than_announced_are_refused(nv_client: Any, auth: dict[str, str]) -> None:
    uid = upload_id(await create(nv_client, auth, 10))
    response = await patch(nv_client, auth, uid, 0, b"a" * 11)
    assert response.status_code == 413
    row = await Upload.objects().where(Upload.uid == uid).first()
    assert row is not None
    assert row.received == 0


# --- interoperability with the official Python client, against a real server ---


class Served:
    """``nichevid serve`` (plus a worker in the production shape) on 127.0.0.1."""

    def __init__(self, env: dict[str, str], data_dir: Path, port: int) -> None:
        self.env, self.data_dir, self.port = env, data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.processes: list[subprocess.Popen[bytes]] = []

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "nichevid.cli", *args],
            env=self.env, input=stdin, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self) -> None:
        logs = (self.data_dir / "server.log").open("ab")
        command = [sys.executable, "-m", "nichevid.cli"]
        serve = [*command, "serve", "--no-migrate", "--port", str(self.port)]
        self.processes = [subprocess.Popen(serve, env=self.env, stdout=logs, stderr=logs)]
        if "NICHEVID_REDIS_URL" in self.env:
            worker = subprocess.Popen([*command, "worker"], env=self.env, stdout=logs, stderr=logs)
            self.processes.append(worker)
        logs.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.processes[0].poll() is None, (self.data_dir / "server.log").read_text()
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not answer")

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)
        self.processes = []


@pytest.fixture
def served(nv_services: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    data_dir = tmp_path / "served"
    data_dir.mkdir()
    env = instance_env(nv_services, data_dir, "tus", redis_db=2)
    server = Served(env, data_dir, free_port())
    server.cli("migrate")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_tuspy_uploads_resumes_across_a_restart_and_the_video_gets_ready(
    served: Served, clips: dict[str, Path]
) -> None:
    from tusclient import client

    served.cli(
        "user", "create", "maker", "--role", "creator", "--password-stdin",
        stdin="correct horse battery\n",
    )  # fmt: skip
    token = served.cli("user", "token", "maker").strip().splitlines()[-1].strip()
    auth = {"Authorization": f"Bearer {token}"}
    source = clips["h264"]
    size = source.stat().st_size
    meta = {"filename": "clip.mp4", "caption": "From tuspy #interop", "visibility": "public"}

    tus = client.TusClient(f"{served.url}/uploads/", headers=auth)
    first = tus.uploader(str(source), chunk_size=size // 3, metadata=meta, upload_checksum=True)
    first.upload_chunk()
    assert first.url is not None
    assert 0 < first.offset < size

    # The connection dies and the server restarts: a new client resumes from the server's offset.
    served.stop()
    served.start()
    tus = client.TusClient(f"{served.url}/uploads/", headers=auth)
    resumed = tus.uploader(str(source), url=first.url, chunk_size=size // 3, upload_checksum=True)
    assert resumed.get_offset() == first.offset
    resumed.upload()
    assert resumed.offset == size

    uid = first.url.rstrip("/").rsplit("/", 1)[-1]
    deadline = time.monotonic() + 120
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{served.url}/api/uploads/{uid}", headers=auth)
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())
        if body["video_status"] in ("ready", "failed"):
            break
        time.sleep(0.5)
    assert body["status"] == "complete"
    assert body["video_status"] == "ready", body
    assert not list((served.data_dir / "uploads").glob("*"))


async def test_bytes_before_a_broken_connection_are_kept(
    nv_client: Any, auth: dict[str, str], nv_resources: Any
) -> None:
    uid = upload_id(await create(nv_client, auth, 100))
    row = await tus_services.get_upload(uid)
    assert row is not None

    async def cut_off() -> Any:
        yield b"a" * 30
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await tus_services.append(nv_resources, row, 0, cut_off())
    head = await nv_client.head(f"/uploads/{uid}", headers={**TUS, **auth})
    assert head.headers["upload-offset"] == "30"
    # The lease is released: the client resumes at once.
    assert (await patch(nv_client, auth, uid, 30, b"b" * 70)).status_code == 204


async def test_a_stalled_hand_over_is_finished_by_the_cron_job(
    nv_client: Any, auth: dict[str, str], nv_resources: Any, clips: dict[str, Path]
) -> None:
    data = clips["h264"].read_bytes()
    uid = upload_id(await create(nv_client, auth, len(data)))
    # The last byte arrived, then the process died before the file reached storage.
    tus_services.part_path(nv_resources.settings, uid).write_bytes(data)
    await Upload.update({Upload.received: len(data)}).where(Upload.uid == uid)

    await expire_uploads({"settings": nv_resources.settings, "resources": nv_resources})
    body = (await nv_client.get(f"/api/uploads/{uid}", headers=auth)).json()
    assert body["status"] == "complete"
    assert body["video_status"] == "processing"
    assert not tus_services.part_path(nv_resources.settings, uid).exists()


async def test_hook_upload_accept(nv_client: Any, nv_resources: Any, auth: dict[str, str]) -> None:
    from nichevid.plugins import hookimpl

    asked: list[tuple[str, str]] = []

    class NoSpam:
        @hookimpl
        async def upload_accept(
            self, user: Any, metadata: dict[str, str], resources: Any
        ) -> str | None:
            assert resources is nv_resources
            asked.append((user.username, metadata.get("caption", "")))
            if "spam" in metadata.get("caption", ""):
                return "Uploads about spam are closed; choose another subject."
            return None

    nv_resources.pm.register(NoSpam())
    refused = await nv_client.post(
        "/uploads/",
        headers={
            **TUS,
            **auth,
            "Upload-Length": "100",
            "Upload-Metadata": metadata(filename="clip.mp4", caption="spam"),
        },
    )
    assert refused.status_code == 403
    assert "choose another subject" in refused.text
    plain = await nv_client.post(
        "/api/videos?caption=spam&filename=clip.mp4", headers=auth, content=b"x" * 100
    )
    assert plain.status_code == 403
    assert "choose another subject" in plain.json()["detail"]
    assert await Upload.count() == 0
    assert await Video.count() == 0
    allowed = await create(nv_client, auth, 100)
    assert allowed.status_code == 201
    assert asked == [("maker", "spam"), ("maker", "spam"), ("maker", "My #first clip")]


@pytest.mark.parametrize("checksum", [False, True])
async def test_a_patch_reaching_a_server_without_the_first_bytes_is_refused(
    nv_client: Any, nv_resources: Any, auth: dict[str, str], checksum: bool
) -> None:
    created = await create(nv_client, auth, 20)
    uid = upload_id(created)
    assert (await patch(nv_client, auth, uid, 0, b"a" * 10)).status_code == 204
    # As a web host without the shared folder sees it: the partial file is elsewhere.
    part = tus_services.part_path(nv_resources.settings, uid)
    part.unlink()
    extra: dict[str, str] = {}
    if checksum:
        digest = base64.b64encode(hashlib.sha1(b"b" * 10).digest()).decode()
        extra["Upload-Checksum"] = f"sha1 {digest}"
    refused = await patch(nv_client, auth, uid, 10, b"b" * 10, **extra)
    assert refused.status_code == 404
    assert "start the upload again" in refused.text
    assert not part.exists(), "no second file may start in the middle of an upload"
    head = await nv_client.head(f"/uploads/{uid}", headers={**TUS, **auth})
    assert head.headers["upload-offset"] == "10"
    row = await Upload.objects().where(Upload.uid == uid).first()
    assert (row.received, row.lease_until, row.status) == (10, 0, "uploading")


async def test_an_upload_can_carry_its_publishing_time(
    nv_client: Any, auth: dict[str, str], clips: dict[str, Path]
) -> None:
    data = clips["h264"].read_bytes()
    when = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    headers = {
        **OCTETS,
        **auth,
        "Upload-Length": str(len(data)),
        "Upload-Metadata": metadata(filename="a.mp4", publish_at=when.isoformat()),
    }
    response = await nv_client.post("/uploads/", headers=headers, content=data)
    assert response.status_code == 201, response.text
    body = (await nv_client.get(f"/api/uploads/{upload_id(response)}", headers=auth)).json()
    video = await Video.objects().where(Video.slug == body["video_id"]).first()
    assert video is not None
    assert video.publish_at == when
    for bad in ("next week", "2001-01-01T00:00:00Z"):
        headers["Upload-Metadata"] = metadata(filename="b.mp4", publish_at=bad)
        refused = await nv_client.post("/uploads/", headers=headers, content=data)
        assert refused.status_code == 400
        assert "publishing time" in refused.text
    assert await Video.count() == 1
