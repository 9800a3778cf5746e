"""A real CDN edge: Debian's nginx checking secure_link in front of the origin's files.

The edge answers a signed request itself (``secure_link``, then the file from the
origin's media directory) and passes unsigned ones to the origin, which alone knows
which files are public. A second nginx server stands in for the origin's media route
here: it refuses the files of a restricted video, as the app does to unsigned requests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from nichevid.default_storage import LocalStorage
from nichevid.settings import Secret
from nichevid.testing.servers import free_port, stop_process
from nichevid_cdn.settings import CdnSettings
from nichevid_cdn.storage import CdnStorage

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = "edge-secret"
PUBLIC = "videos/pub1/été #1 ?x=1.mp4"
HIDDEN = "videos/restricted/720p.mp4"
DATA = bytes(range(256)) * 40


@dataclass
class Edge:
    """The running edge: its base URL and the media directory behind it."""

    base_url: str
    root: Path
    log: Path


def edge_conf(run: Path, data_dir: Path, edge_port: int, origin_port: int) -> str:
    """nginx.conf of the edge and of the stand-in origin, writing only under ``run``."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"    {kind}_temp_path {run}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}error_log {run}/error.log;
events {{}}
http {{
    access_log off;
    types {{ video/mp4 mp4; }}
{temps}
    # Stands in for the app's /media/ route: restricted files need its own signature.
    server {{
        listen 127.0.0.1:{origin_port};
        root {data_dir};
        location /media/videos/restricted/ {{ return 403; }}
        location /media/ {{ }}
    }}

    # The CDN edge.
    server {{
        listen 127.0.0.1:{edge_port};
        root {data_dir};
        location /media/ {{
            error_page 418 = @origin;
            if ($arg_md5 = "") {{ return 418; }}
            secure_link $arg_md5,$arg_expires;
            secure_link_md5 "$secure_link_expires$uri {SECRET}";
            if ($secure_link = "") {{ return 403; }}
            if ($secure_link = "0") {{ return 410; }}
        }}
        location @origin {{
            proxy_pass http://127.0.0.1:{origin_port};
        }}
    }}
}}
"""


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Edge]:
    """nginx on two free loopback ports, stopped by its pid afterwards."""
    if not Path(NGINX).is_file():
        pytest.skip(f"nginx is not installed (looked for {NGINX}); apt-get install nginx")
    run = tmp_path / "nginx"
    run.mkdir()
    data_dir = tmp_path / "data"
    (data_dir / "media").mkdir(parents=True)
    edge_port, origin_port = free_port(), free_port()
    conf = run / "nginx.conf"
    conf.write_text(edge_conf(run, data_dir, edge_port, origin_port))
    log = run / "error.log"
    process = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(run),
            "-c",
            str(conf),
            "-e",
            str(log),
            "-g",
            f"daemon off; pid {run}/nginx.pid;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{edge_port}/media"
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"nginx stopped: {process.stderr.read().decode() if process.stderr else ''}"
                )
            try:
                httpx.get(f"http://127.0.0.1:{edge_port}/", timeout=1)
                httpx.get(f"http://127.0.0.1:{origin_port}/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nginx did not answer:\n{log.read_text() if log.exists() else ''}")
                time.sleep(0.1)
        yield Edge(base, data_dir / "media", log)
    finally:
        stop_process(process)


def adapter(edge: Edge, clock: float | None = None) -> CdnStorage:
    config = CdnSettings(base_url=edge.base_url, signing="nginx", secret=Secret(SECRET))
    now = clock
    return CdnStorage(
        LocalStorage(edge.root), config, clock=(lambda: now) if now is not None else time.time
    )


def get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers=headers, timeout=10)


async def test_public_files_come_through_the_edge_with_ranges(edge: Edge) -> None:
    storage = adapter(edge)
    await storage.put_bytes(PUBLIC, DATA)
    url = await storage.url(PUBLIC)
    assert url.startswith(edge.base_url + "/videos/pub1/")
    whole = get(url)
    assert whole.status_code == 200, edge.log.read_text()
    assert whole.content == DATA
    part = get(url, Range="bytes=10-19")
    assert part.status_code == 206
    assert part.content == DATA[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(DATA)}"


async def test_restricted_files_need_a_valid_unexpired_signature(edge: Edge) -> None:
    storage = adapter(edge)
    await storage.put_bytes(HIDDEN, DATA)
    await storage.put_bytes(PUBLIC, b"public")
    # Unsigned, the origin refuses it, as the app does.
    assert get(await storage.url(HIDDEN)).status_code == 403
    signed = await storage.url(HIDDEN, expires_in=300)
    answer = get(signed)
    assert answer.status_code == 200, edge.log.read_text()
    assert answer.content == DATA
    part = get(signed, Range="bytes=0-3")
    assert part.status_code == 206
    assert part.content == DATA[:4]
    # A key with spaces, "#", "?" and accents: nginx hashes the decoded path.
    odd = await storage.url(PUBLIC, expires_in=300)
    assert get(odd).content == b"public"

    expired = await adapter(edge, clock=time.time() - 3600).url(HIDDEN, expires_in=300)
    assert get(expired).status_code == 410
    base, _, query = signed.partition("?")
    md5, expires = (part.split("=", 1)[1] for part in query.split("&"))
    # The first character: the last one of an unpadded base64 digest also holds padding
    # bits, so changing it may leave the decoded digest as it was.
    altered = ("B" if md5[0] == "A" else "A") + md5[1:]
    assert get(f"{base}?md5={altered}&expires={expires}").status_code == 403
    later = int(expires) + 3600
    assert get(f"{base}?md5={md5}&expires={later}").status_code == 403
    # The signature of one file opens no other.
    await storage.put_bytes("videos/restricted/poster.jpg", b"\xff\xd8\xff")
    other = base.replace("720p.mp4", "poster.jpg")
    assert get(f"{other}?{query}").status_code == 403
