"""Ansible: the variables of docs/deploying.md ("Media in a bucket") give processes that
reach the bucket, the secret coming from the environment file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nichevid.testing.servers import S3_ACCESS_KEY, S3_SECRET_KEY, Server
from tests.test_deploy import render


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
