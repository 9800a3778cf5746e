"""Ansible: the variables of docs/deploying.md ("Media in a bucket") give processes that
reach the bucket, the secret coming from the environment file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from nichevid.testing.servers import (
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    Server,
    free_port,
    new_database,
    stop_process,
)
from tests.test_deploy import (
    NGINX,
    _nginx_conf,
    _read_env_file,
    _wait_for,
    here,
    nginx_accepts,
    playbook,
    render,
    succeeded,
)


@pytest.fixture
def nv_settings() -> None:
    """The rendered instance has settings of its own."""


@pytest.mark.sqlite_only
def test_a_deployed_instance_uses_the_bucket(
    tmp_path: Path, s3_server: Server, s3_bucket: str
) -> None:
    rendered = render(
        tmp_path,
        "postgresql://nichevid:pw@10.0.0.20:5432/nichevid",
        "redis://10.0.0.20:6379/0",
        nichevid_plugins=["s3"],
        nichevid_storage_backend="s3",
        nichevid_extra_settings=(
            f'[plugin.s3]\nbucket = "{s3_bucket}"\nendpoint_url = "{s3_server.url}"\n'
            f'access_key_id = "{S3_ACCESS_KEY}"\n'
            'secret_access_key = { env = "NICHEVID_S3_SECRET" }\n'
        ),
        nichevid_extra_environment={"NICHEVID_S3_SECRET": S3_SECRET_KEY},
    )
    assert rendered.env["NICHEVID_S3_SECRET"] == S3_SECRET_KEY
    shown = rendered.nichevid("config", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    settings = json.loads(shown.stdout)
    assert settings["storage"]["backend"] == "s3"
    assert settings["plugin"]["s3"]["secret_access_key"] == "*** (env:NICHEVID_S3_SECRET)"
    assert S3_SECRET_KEY not in shown.stdout
    checked = rendered.nichevid("storage", "check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "s3 storage: ok"


@pytest.mark.sqlite_only
def test_several_hosts_with_media_in_a_bucket_need_no_shared_folder(tmp_path: Path) -> None:
    """Two web hosts and a worker, no storage host: uploads are pinned per client."""
    hosts = {
        "data1": {"ansible_host": "203.0.113.20", "nichevid_private_address": "10.0.0.20"},
        "web1": {"ansible_host": "203.0.113.21", "nichevid_private_address": "10.0.0.21"},
        "web2": {"ansible_host": "203.0.113.22", "nichevid_private_address": "10.0.0.22"},
        "work1": {"ansible_host": "203.0.113.23", "nichevid_private_address": "10.0.0.23"},
    }
    groups = {"db": ["data1"], "redis": ["data1"], "web": ["web1", "web2"]}
    groups.update(worker=["work1"], proxy=["web1"])
    children: dict[str, Any] = {
        name: {"hosts": {h: {} for h in members}} for name, members in groups.items()
    }
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": hosts, "children": children}}))
    out = tmp_path / "hosts"
    per_host = str(out) + "/{{ inventory_hostname }}"
    for host in ("web1", "web2", "work1"):
        (out / host / "etc").mkdir(parents=True)
    variables = {
        "nichevid_etc_dir": per_host + "/etc",
        "nichevid_systemd_dir": per_host,
        "nichevid_nginx_site": per_host + "/nichevid.conf",
        "nichevid_credentials_dir": str(tmp_path / "credentials"),
        "nichevid_domain": "knit.example.org",
    }
    limit = ["--limit", "web1,web2,work1", "--tags", "config"]
    refused = playbook(tmp_path, inventory, *limit, "-e", here(**variables))
    assert refused.returncode != 0
    assert 'Or keep the media in a bucket (nichevid_storage_backend: "s3"' in refused.stdout

    bucket = {
        "nichevid_plugins": ["s3"],
        "nichevid_storage_backend": "s3",
        "nichevid_extra_settings": '[plugin.s3]\nbucket = "media"\n',
    }
    succeeded(playbook(tmp_path, inventory, *limit, "-e", here(**variables, **bucket)))
    for host in ("web1", "web2", "work1"):
        settings = (out / host / "etc" / "nichevid.toml").read_text()
        assert '[storage]\nbackend = "s3"' in settings
    site = (out / "web1" / "nichevid.conf").read_text()
    pinned = site.split("upstream nichevid_uploads {", 1)[1].split("}", 1)[0]
    assert "hash $http_authorization$cookie_nv_session consistent;" in pinned
    assert "server 127.0.0.1:8000;" in pinned
    assert "server 10.0.0.22:8000;" in pinned
    uploads = site.split("location ~ ^/(uploads|api/videos)(/|$) {", 1)[1].split("}", 1)[0]
    assert "proxy_pass http://nichevid_uploads;" in uploads
    assert "proxy_pass http://nichevid;" in site.split("location / {", 1)[1]
    nginx_accepts(tmp_path, out / "web1" / "nichevid.conf")


@pytest.mark.sqlite_only
def test_a_shared_folder_keeps_uploads_spread_over_web_hosts(tmp_path: Path) -> None:
    out = tmp_path / "hosts"
    for host in ("web1", "web2", "work1"):
        (out / host / "etc").mkdir(parents=True)
    per_host = str(out) + "/{{ inventory_hostname }}"
    extra = here(
        nichevid_etc_dir=per_host + "/etc",
        nichevid_systemd_dir=per_host,
        nichevid_nginx_site=per_host + "/nichevid.conf",
        nichevid_credentials_dir=str(tmp_path / "credentials"),
        nichevid_tls_certificate="",
    )
    limit = ["--limit", "web1,web2,work1", "--tags", "config", "-e", extra]
    succeeded(playbook(tmp_path, "inventories/cluster/hosts.yml", *limit))
    site = (out / "web1" / "nichevid.conf").read_text()
    assert "nichevid_uploads" not in site


def _request(
    method: str, url: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _lower(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, _lower(exc.headers), exc.read()


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.postgres_only
def test_two_web_hosts_without_a_shared_folder_take_uploads_through_nginx(
    tmp_path: Path,
    nv_services: dict[str, str],
    s3_server: Server,
    s3_bucket: str,
    clips: dict[str, Path],
) -> None:
    """The deployment of docs/deploying.md ("without one"), run here: two web hosts with
    their own data folders behind the rendered nginx, a worker, media in a bucket."""
    out = tmp_path / "hosts"
    web = {}
    for host in ("web1", "web2"):
        (out / host / "etc").mkdir(parents=True)
        (out / host / "data").mkdir()
        web[host] = {
            "nichevid_private_address": "127.0.0.1",
            "nichevid_web_port": free_port(),
            "nichevid_data_dir": str(out / host / "data"),
        }
    hosts = {**web, "datahost": {"ansible_host": "127.0.0.1"}}
    groups = {"db": ["datahost"], "redis": ["datahost"], "web": ["web1", "web2"]}
    groups.update(worker=["web1"], proxy=["web1"])
    children: dict[str, Any] = {
        name: {"hosts": {h: {} for h in members}} for name, members in groups.items()
    }
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": hosts, "children": children}}))
    per_host = str(out) + "/{{ inventory_hostname }}"
    http_port = free_port()
    extra = here(
        nichevid_etc_dir=per_host + "/etc",
        nichevid_systemd_dir=per_host,
        nichevid_nginx_site=per_host + "/nichevid.conf",
        nichevid_credentials_dir=str(tmp_path / "credentials"),
        nichevid_venv=str(Path(sys.executable).parent.parent),
        nichevid_database_url=new_database(nv_services, "pinned"),
        nichevid_redis_url=nv_services["redis"].rsplit("/", 1)[0] + "/12",
        nichevid_web_processes=1,
        nichevid_http_port=http_port,
        nichevid_ipv6=False,
        nichevid_domain="127.0.0.1",
        nichevid_plugins=["s3"],
        nichevid_storage_backend="s3",
        nichevid_extra_settings=(
            f'[plugin.s3]\nbucket = "{s3_bucket}"\nendpoint_url = "{s3_server.url}"\n'
            f'access_key_id = "{S3_ACCESS_KEY}"\n'
            'secret_access_key = { env = "NICHEVID_S3_SECRET" }\n\n'
            "[media]\nupload_max_concurrent = 0\n"
        ),
        nichevid_extra_environment={"NICHEVID_S3_SECRET": S3_SECRET_KEY},
    )
    succeeded(
        playbook(tmp_path, inventory, "--limit", "web1,web2", "--tags", "config", "-e", extra)
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env = {
        host: {**base, **_read_env_file(out / host / "etc" / "env"), "NICHEVID_LOG_FORMAT": "json"}
        for host in web
    }

    def unit(host: str, name: str) -> list[str]:
        text = (out / host / name).read_text()
        line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
        return line.removeprefix("ExecStart=").split()

    nichevid = unit("web1", "nichevid-web.service")[0]

    def cli(*args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [nichevid, *args], env=env["web1"], input=stdin, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    cli("migrate")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        logs = {}
        nginx = [NGINX, "-c", str(_nginx_conf(tmp_path, out / "web1" / "nichevid.conf"))]
        for name, command, host in (
            ("web1", unit("web1", "nichevid-web.service"), "web1"),
            ("web2", unit("web2", "nichevid-web.service"), "web2"),
            ("worker", unit("web1", "nichevid-worker@.service"), "web1"),
            ("nginx", [*nginx, "-g", "daemon off;"], "web1"),
        ):
            logs[name] = tmp_path / f"{name}.log"
            with logs[name].open("wb") as log:
                processes.append(
                    subprocess.Popen(command, env=env[host], stdout=log, stderr=subprocess.STDOUT)
                )
        for index, host in enumerate(web):
            port = web[host]["nichevid_web_port"]
            _wait_for(f"http://127.0.0.1:{port}/readyz", processes[index], logs[host])
        front = f"http://127.0.0.1:{http_port}"
        _wait_for(front + "/healthz", processes[3], logs["nginx"])

        cli("user", "create", "maker", "--role", "creator", "--password-stdin",
            stdin="correct horse battery staple\n")  # fmt: skip
        tokens = [cli("user", "token", "maker").strip().splitlines()[-1] for _ in range(12)]
        tus = {"Tus-Resumable": "1.0.0"}
        octets = {**tus, "Content-Type": "application/offset+octet-stream"}

        def begin(token: str, length: int) -> tuple[dict[str, str], str]:
            auth = {"Authorization": f"Bearer {token}"}
            status, headers, body = _request(
                "POST", front + "/uploads/", {**tus, **auth, "Upload-Length": str(length)}
            )
            assert status == 201, body
            return auth, headers["location"].rstrip("/").rsplit("/", 1)[-1]

        def holders(uid: str) -> list[str]:
            return [h for h in web if (out / h / "data" / "uploads" / f"{uid}.part").exists()]

        def patch(auth: dict[str, str], uid: str, offset: int, chunk: bytes) -> int:
            headers = {**octets, **auth, "Upload-Offset": str(offset)}
            status, _, body = _request("PATCH", f"{front}/uploads/{uid}", headers, chunk)
            assert status == 204, body
            return status

        # Each client's requests all reach one web host; the clients are spread over both.
        seen = []
        for token in tokens:
            auth, uid = begin(token, 20)
            patch(auth, uid, 0, b"y" * 10)
            [holder] = holders(uid)
            seen.append(holder)
            # The last bytes hand the file to the bucket (not a video: processing fails).
            patch(auth, uid, 10, b"x" * 10)
            assert holders(uid) == []
        assert set(seen) == {"web1", "web2"}, seen

        # A real clip in three requests, processed by the worker from the bucket.
        data = clips["h264"].read_bytes()
        auth, uid = begin(tokens[0], len(data))
        third = len(data) // 3 + 1
        for offset in range(0, len(data), third):
            patch(auth, uid, offset, data[offset : offset + third])
        deadline = time.monotonic() + 120
        while True:
            status, _, body = _request("GET", f"{front}/api/uploads/{uid}", auth)
            state = json.loads(body)
            if state["video_status"] in ("ready", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert state["video_status"] == "ready", (state, logs["worker"].read_text()[-3000:])
        slug = state["video_id"]
        status, headers, body = _request(
            "GET", f"{front}/media/videos/{slug}/160p.mp4", {"Range": "bytes=0-99"}
        )
        assert status == 206, body
        assert body[4:8] == b"ftyp"
        assert "x-accel-redirect" not in headers
        for host in web:
            assert not (out / host / "data" / "media" / "videos").exists()
        for process in processes:
            assert process.poll() is None
    finally:
        for process in reversed(processes):
            stop_process(process)
