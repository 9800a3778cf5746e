"""Ansible: the variables of docs/deploying.md ("Media in a bucket") give processes that
reach the bucket, the secret coming from the environment file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nichevid.testing.servers import S3_ACCESS_KEY, S3_SECRET_KEY, Server
from tests.test_deploy import NGINX, _nginx_conf, here, playbook, render, succeeded


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
    nichevid = rendered.command(rendered.web_unit)[:1]
    shown = subprocess.run(
        [*nichevid, "config", "show", "--json"],
        env=rendered.process_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    settings = json.loads(shown.stdout)
    assert settings["storage"]["backend"] == "s3"
    assert settings["plugin"]["s3"]["secret_access_key"] == "*** (env:NICHEVID_S3_SECRET)"
    assert S3_SECRET_KEY not in shown.stdout
    checked = subprocess.run(
        [*nichevid, "storage", "check"],
        env=rendered.process_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
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
    children = {name: {"hosts": {h: {} for h in members}} for name, members in groups.items()}
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
    conf = _nginx_conf(tmp_path, out / "web1" / "nichevid.conf")
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-e", str(tmp_path / "nginx-test.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


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
