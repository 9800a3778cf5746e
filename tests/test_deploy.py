"""The Ansible deployment (deploy/ansible): its playbook parses for both sample inventories,
and the files it writes (settings, secrets, systemd units, the nginx site) run a real
instance: PostgreSQL, Redis, the web processes, a worker and nginx in front, serving
media through X-Accel-Redirect.

The playbook runs for real against this machine with ``--tags config``, writing into a
temporary folder and starting no service (``nichevid_manage_services: false``). What it
writes does not depend on the test shape, so those tests run once, in the embedded shape;
the instance they describe runs in the production shape.
"""

from __future__ import annotations

import grp
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from nichevid.testing.servers import _pg_bin, free_port, new_database, stop_process

ROOT = Path(__file__).resolve().parents[1]
ANSIBLE = ROOT / "deploy" / "ansible"
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
GROUPS = ("db", "redis", "web", "worker", "proxy")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def playbook(tmp_path: Path, inventory: str | Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ansible-playbook -i inventory site.yml args...`` from deploy/ansible."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NICHEVID_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
        ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-remote"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    return subprocess.run(
        [str(PLAYBOOK), "-i", str(inventory), "site.yml", *args],
        cwd=ANSIBLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def here(**variables: object) -> str:
    """Extra variables (``-e``) that run the playbook on this machine, as this user,
    starting no service; ``variables`` are added."""
    return json.dumps(
        {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "ansible_become": False,
            "nichevid_manage_services": False,
            # The group of the written environment file: ours, as we are not root here.
            "nichevid_user": grp.getgrgid(os.getgid()).gr_name,
            **variables,
        }
    )


def succeeded(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("inventory", ["single", "cluster"])
def test_the_playbook_parses_with_each_sample_inventory(tmp_path: Path, inventory: str) -> None:
    done = playbook(tmp_path, f"inventories/{inventory}/hosts.yml", "--syntax-check")
    succeeded(done)
    assert "WARNING" not in done.stderr, done.stderr


@dataclass
class Rendered:
    """What one ``--tags config`` run wrote."""

    root: Path
    data_dir: Path
    env: dict[str, str]
    settings: Path
    web_unit: Path
    worker_unit: Path
    nginx_site: Path
    web_port: int
    http_port: int

    def command(self, unit: Path) -> list[str]:
        """The ``ExecStart`` of a rendered systemd unit, as arguments."""
        line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
        return line.removeprefix("ExecStart=").split()

    def nichevid(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the rendered units' ``nichevid`` with ``args`` in their environment."""
        return subprocess.run(
            [*self.command(self.web_unit)[:1], *args],
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def process_env(self) -> dict[str, str]:
        """This environment without ``NICHEVID_*``, plus the rendered environment file."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
        env.update(self.env, NICHEVID_LOG_FORMAT="json")
        return env


def _read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def render(tmp_path: Path, database_url: str, redis_url: str, **variables: object) -> Rendered:
    """Run site.yml with ``--tags config`` on this machine as web, worker and proxy host."""
    root = tmp_path / "deployed"
    data_dir = root / "data"
    data_dir.mkdir(parents=True)
    inventory = root / "hosts.yml"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "children": {
                        "web": {"hosts": {"localhost": {}}},
                        "worker": {"hosts": {"localhost": {}}},
                        "proxy": {"hosts": {"localhost": {}}},
                        "db": {"hosts": {"datahost": {"ansible_host": "127.0.0.1"}}},
                        "redis": {"hosts": {"datahost": {}}},
                        "storage": {},
                    }
                }
            }
        )
    )
    web_port, http_port = free_port(), free_port()
    chosen: dict[str, object] = dict(
        nichevid_etc_dir=str(root / "etc"),
        nichevid_systemd_dir=str(root / "systemd"),
        nichevid_nginx_site=str(root / "nginx" / "nichevid.conf"),
        nichevid_data_dir=str(data_dir),
        nichevid_credentials_dir=str(root / "credentials"),
        nichevid_venv=str(Path(sys.executable).parent.parent),
        nichevid_database_url=database_url,
        nichevid_redis_url=redis_url,
        nichevid_web_port=web_port,
        nichevid_web_processes=2,
        nichevid_http_port=http_port,
        nichevid_ipv6=False,
        nichevid_domain="127.0.0.1",
        nichevid_site_name='Knit "n" climb',
    )
    extra = here(**{**chosen, **variables})
    (root / "nginx").mkdir()
    (root / "systemd").mkdir()
    done = playbook(tmp_path, inventory, "--limit", "localhost", "--tags", "config", "-e", extra)
    succeeded(done)
    assert "failed=0" in done.stdout
    etc = root / "etc"
    return Rendered(
        root=root,
        data_dir=data_dir,
        env=_read_env_file(etc / "env"),
        settings=etc / "nichevid.toml",
        web_unit=root / "systemd" / "nichevid-web.service",
        worker_unit=root / "systemd" / "nichevid-worker@.service",
        nginx_site=root / "nginx" / "nichevid.conf",
        web_port=web_port,
        http_port=http_port,
    )


@pytest.mark.sqlite_only
def test_the_written_settings_are_what_nichevid_reads(tmp_path: Path) -> None:
    rendered = render(
        tmp_path,
        "postgresql://nichevid:s3cret@10.0.0.20:5432/nichevid",
        "redis://:hush@10.0.0.20:6379/0",
        nichevid_plugins=["moderation"],
        nichevid_extra_settings=(
            '[plugin.moderation]\nhold = "first"\n\n'
            '[mail]\nsmtp_host = "mail.example"\nsmtp_password = { env = "NV_SMTP_PASSWORD" }\n'
        ),
        nichevid_extra_environment={"NV_SMTP_PASSWORD": "p0stm4n"},
    )
    env = rendered.env
    assert env["NV_SMTP_PASSWORD"] == "p0stm4n"
    assert env["NICHEVID_CONFIG"] == str(rendered.settings)
    assert len(env["NICHEVID_SECRET_KEY"]) == 64
    # Secrets are made once per credentials folder and kept: the next run writes them again.
    credentials = str(rendered.root / "credentials")
    again = render(
        tmp_path / "again",
        "postgresql://x@h/db",
        "redis://h/0",
        nichevid_credentials_dir=credentials,
    )
    assert again.env["NICHEVID_SECRET_KEY"] == env["NICHEVID_SECRET_KEY"]
    shown = rendered.nichevid("config", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    settings = json.loads(shown.stdout)
    assert settings["data_dir"] == str(rendered.data_dir)
    assert settings["site_name"] == 'Knit "n" climb'
    assert settings["database"]["url"] == "postgresql://nichevid:***@10.0.0.20:5432/nichevid"
    assert settings["redis"]["url"] == "redis://:***@10.0.0.20:6379/0"
    server = settings["server"]
    assert (server["host"], server["port"]) == ("127.0.0.1", rendered.web_port)
    assert server["workers"] == 2
    assert server["x_accel_redirect"] is True
    assert server["gzip_level"] == 0
    assert server["trusted_proxies"] == ["127.0.0.1"]
    assert settings["plugins"]["enabled"] == ["moderation"]
    assert settings["plugin"]["moderation"]["hold"] == "first"
    # The secret comes from the environment file and is never shown.
    assert settings["mail"]["smtp_host"] == "mail.example"
    assert settings["mail"]["smtp_password"] == "*** (env:NV_SMTP_PASSWORD)"
    assert "p0stm4n" not in shown.stdout
    assert rendered.command(rendered.web_unit)[1:] == ["serve", "--no-migrate"]
    assert rendered.command(rendered.worker_unit)[1:] == ["worker"]
    assert f"server 127.0.0.1:{rendered.web_port};" in rendered.nginx_site.read_text()
    assert oct(rendered.settings.parent.joinpath("env").stat().st_mode & 0o777) == "0o640"


@pytest.mark.sqlite_only
def test_an_inventory_without_a_database_host_is_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"children": {"web": {"hosts": {"localhost": {}}}}}}))
    done = playbook(tmp_path, inventory, "--tags", "config", "-e", here())
    assert done.returncode != 0
    assert "exactly one host in each of the groups db and redis" in done.stdout


@pytest.mark.sqlite_only
def test_the_cluster_inventory_points_every_host_at_the_data_host(tmp_path: Path) -> None:
    """Every host of the sample cluster, rendered here: addresses, listeners, upstreams."""
    out = tmp_path / "hosts"
    per_host = str(out) + "/{{ inventory_hostname }}"
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    extra = here(
        nichevid_etc_dir=per_host + "/etc",
        nichevid_systemd_dir=per_host,
        nichevid_nginx_site=per_host + "/nichevid.conf",
        nichevid_credentials_dir=str(tmp_path / "credentials"),
        # A certificate nginx can load, where the inventory names Let's Encrypt's.
        nichevid_tls_certificate=cert,
        nichevid_tls_certificate_key=key,
    )
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    subprocess.run(
        [*openssl, "-subj", "/CN=knit.example.org", "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    for host in ("web1", "web2", "work1"):
        (out / host / "etc").mkdir(parents=True)
    limit = ["--limit", "web1,web2,work1", "--tags", "config", "-e", extra]
    succeeded(playbook(tmp_path, "inventories/cluster/hosts.yml", *limit))
    password = (tmp_path / "credentials" / "db_password").read_text().split()[0]
    for host in ("web1", "web2", "work1"):
        env = _read_env_file(out / host / "etc" / "env")
        assert env["NICHEVID_DATABASE_URL"] == (
            f"postgresql://nichevid:{password}@10.0.0.20:5432/nichevid"
        )
        assert env["NICHEVID_REDIS_URL"].endswith("@10.0.0.20:6379/0")
    web1 = (out / "web1" / "etc" / "nichevid.toml").read_text()
    web2 = (out / "web2" / "etc" / "nichevid.toml").read_text()
    # nginx runs on web1 alone: web1 listens on loopback, web2 on its private address
    # and believes web1's forwarded headers.
    assert 'host = "127.0.0.1"' in web1
    assert 'host = "10.0.0.22"' in web2
    assert 'trusted_proxies = ["127.0.0.1", "10.0.0.21"]' in web2
    assert 'base_url = "https://knit.example.org"' in web1
    site = (out / "web1" / "nichevid.conf").read_text()
    assert "server 127.0.0.1:8000;" in site
    assert "server 10.0.0.22:8000;" in site
    assert f"ssl_certificate {tmp_path / 'cert.pem'};" in site
    assert "return 301 https://$host$request_uri;" in site
    # nginx itself accepts the site, HTTPS and all.
    nginx_accepts(tmp_path, out / "web1" / "nichevid.conf")
    assert not (out / "web2" / "nichevid.conf").exists()
    assert (out / "work1" / "nichevid-worker@.service").exists()
    assert not (out / "work1" / "nichevid-web.service").exists()
    # Every nichevid host reads from the replica data2 too, with the primary's password.
    for host in ("web1", "web2", "work1"):
        written = (out / host / "etc" / "nichevid.toml").read_text()
        assert 'replica_urls = ["postgresql://nichevid@10.0.0.24:5432/nichevid"]' in written
        assert _read_env_file(out / host / "etc" / "env")["PGPASSWORD"] == password
    # The primary lets the replica stream from it; the replica lets the nichevid hosts in.
    for host in ("data1", "data2"):
        (out / host / "pg" / "conf.d").mkdir(parents=True)
        (out / host / "pg" / "pg_hba.conf").write_text("local all postgres peer\n")
    # Only the PostgreSQL play: data1's others would write into this machine's /etc.
    pg = ["--limit", "data1,data2", "--tags", "config", "--skip-tags", "redis,storage,backup"]
    succeeded(playbook(tmp_path, "inventories/cluster/hosts.yml", *pg, "-e", extra_pg(extra, out)))
    primary_hba = (out / "data1" / "pg" / "pg_hba.conf").read_text()
    assert "host replication nichevid_replication 10.0.0.24/32 scram-sha-256" in primary_hba
    assert "host nichevid nichevid 10.0.0.21/32 scram-sha-256" in primary_hba
    replica_hba = (out / "data2" / "pg" / "pg_hba.conf").read_text()
    assert "host nichevid nichevid 10.0.0.22/32 scram-sha-256" in replica_hba
    assert "replication" not in replica_hba
    primary_conf = (out / "data1" / "pg" / "conf.d" / "nichevid.conf").read_text()
    assert "listen_addresses = 'localhost,10.0.0.20'" in primary_conf
    assert "wal_keep_size = '1GB'" in primary_conf
    replica_conf = (out / "data2" / "pg" / "conf.d" / "nichevid.conf").read_text()
    assert "listen_addresses = 'localhost,10.0.0.24'" in replica_conf
    assert "wal_keep_size" not in replica_conf


def extra_pg(extra: str, out: Path) -> str:
    """``extra`` plus each database host's PostgreSQL settings folder under ``out``."""
    return json.dumps(
        {**json.loads(extra), "nichevid_pg_conf": str(out) + "/{{ inventory_hostname }}/pg"}
    )


@pytest.mark.sqlite_only
def test_a_replica_that_is_also_the_database_host_is_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    both = {"hosts": {"localhost": {}}}
    groups = {name: both for name in ("db", "db_replica", "redis", "web", "proxy")}
    inventory.write_text(json.dumps({"all": {"children": groups}}))
    done = playbook(tmp_path, inventory, "--tags", "config", "-e", here())
    assert done.returncode != 0
    assert "localhost is in both db and db_replica" in done.stdout


@pytest.mark.sqlite_only
def test_several_hosts_without_a_shared_data_folder_are_refused(tmp_path: Path) -> None:
    groups = {"db": ["localhost"], "redis": ["localhost"], "web": ["localhost", "web2"]}
    children = {g: {"hosts": {h: {} for h in hosts}} for g, hosts in groups.items()}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"children": {**children, "proxy": children["db"]}}}))
    done = playbook(tmp_path, inventory, "--tags", "config", "-e", here())
    assert done.returncode != 0
    assert "put one host in the group storage" in done.stdout
    assert not (tmp_path / "credentials").exists()


@pytest.mark.sqlite_only
def test_a_failed_backup_leaves_the_kept_dumps_alone(tmp_path: Path) -> None:
    root = tmp_path / "deployed"
    (root / "systemd").mkdir(parents=True)
    backups = root / "backups"
    backups.mkdir()
    kept = backups / "nichevid-20991231T031700Z.dump"
    kept.write_bytes(b"yesterday's dump")
    inventory = root / "hosts.yml"
    inventory.write_text(
        json.dumps({"all": {"children": {g: {"hosts": {"localhost": {}}} for g in GROUPS}}})
    )
    extra = here(
        nichevid_systemd_dir=str(root / "systemd"),
        nichevid_backup_dir=str(backups),
        nichevid_backup_script=str(root / "nichevid-backup"),
        # A database that cannot be dumped.
        nichevid_backup_dump="sh -c 'echo half a dump; exit 1'",
    )
    succeeded(playbook(tmp_path, inventory, "--tags", "backup", "-e", extra))
    ran = subprocess.run([str(root / "nichevid-backup")], capture_output=True, timeout=60)
    assert ran.returncode != 0
    assert sorted(p.name for p in backups.glob("*.dump")) == [kept.name]
    assert kept.read_bytes() == b"yesterday's dump"


# -- the written files, running --------------------------------------------------------


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url}: the process exited with {process.returncode}:\n{log.read_text()}")
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def nginx_accepts(tmp_path: Path, site: Path) -> None:
    """Assert that nginx (``nginx -t``) takes the rendered ``site``."""
    conf = _nginx_conf(tmp_path, site)
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-e", str(tmp_path / "nginx-test.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def _nginx_conf(rendered: Path, site: Path) -> Path:
    """A main nginx.conf around the rendered site, writing only under ``rendered``."""
    run = rendered / "nginx-run"
    run.mkdir()
    conf = rendered / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}pid {run}/nginx.pid;\nerror_log {run}/error.log;\nevents {{}}\nhttp {{\n"
        f"  include /etc/nginx/mime.types;\n  access_log off;\n"
        + "".join(
            f"  {kind}_temp_path {run}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {site};\n}}\n"
    )
    return conf


@pytest.mark.postgres_only
def test_the_deployed_instance_serves_through_nginx(
    tmp_path: Path, nv_services: dict[str, str]
) -> None:
    redis_url = nv_services["redis"].rsplit("/", 1)[0] + "/13"
    database = new_database(nv_services, "deploy")
    rendered = render(tmp_path, database, redis_url, nichevid_web_processes=1)
    env = rendered.process_env()
    nichevid = rendered.command(rendered.web_unit)[0]
    migrated = subprocess.run(
        [nichevid, "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr
    processes: list[subprocess.Popen[bytes]] = []
    try:
        logs = {}
        for name, command in (
            ("web", rendered.command(rendered.web_unit)),
            ("worker", rendered.command(rendered.worker_unit)),
            (
                "nginx",
                [
                    NGINX,
                    "-c",
                    str(_nginx_conf(rendered.root, rendered.nginx_site)),
                    "-g",
                    "daemon off;",
                ],
            ),
        ):
            logs[name] = rendered.root / f"{name}.log"
            with logs[name].open("wb") as out:
                processes.append(
                    subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
                )
        _wait_for(f"http://127.0.0.1:{rendered.web_port}/readyz", processes[0], logs["web"])
        front = f"http://127.0.0.1:{rendered.http_port}"
        _wait_for(front + "/healthz", processes[2], logs["nginx"])
        # Demo videos, processed by the worker the rendered unit started.
        demo = subprocess.run(
            [nichevid, "demo", "--timeout", "240", "--seconds", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr + logs["worker"].read_text()
        for process in processes:
            assert process.poll() is None
        status, headers, body = _get(front + "/", {"Accept-Encoding": "gzip"})
        assert status == 200
        # nichevid leaves compression to nginx.
        assert headers.get("Content-Encoding") == "gzip"
        page = gzip.decompress(body).decode()
        media = re.findall(r'src="(/media/[^"]+\.mp4)"', page)
        assert media, page[:2000]
        status, headers, body = _get(front + media[0], {"Range": "bytes=0-99"})
        assert status == 206
        assert len(body) == 100
        assert body[4:8] == b"ftyp"
        assert "X-Accel-Redirect" not in headers
        whole = (rendered.data_dir / "media").rglob("*.mp4")
        assert any(p.read_bytes()[:100] == body for p in whole)
    finally:
        for process in reversed(processes):
            stop_process(process)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("_nv_migrated")
def test_the_nightly_backup_writes_a_dump_and_keeps_only_recent_ones(
    tmp_path: Path, nv_database_url: str
) -> None:
    root = tmp_path / "deployed"
    (root / "systemd").mkdir(parents=True)
    backups = root / "backups"
    inventory = root / "hosts.yml"
    inventory.write_text(
        json.dumps({"all": {"children": {g: {"hosts": {"localhost": {}}} for g in GROUPS}}})
    )
    extra = here(
        nichevid_systemd_dir=str(root / "systemd"),
        nichevid_backup_dir=str(backups),
        nichevid_backup_script=str(root / "nichevid-backup"),
        nichevid_backup_keep_days=3,
        # The test database instead of the local one the postgres user reaches.
        nichevid_backup_dump=f"{_pg_bin('pg_dump')} --format=custom '{nv_database_url}'",
    )
    succeeded(playbook(tmp_path, inventory, "--tags", "backup", "-e", extra))
    timer = (root / "systemd" / "nichevid-backup.timer").read_text()
    assert "OnCalendar=*-*-* 03:17:00" in timer
    service = (root / "systemd" / "nichevid-backup.service").read_text()
    assert f"ExecStart={root / 'nichevid-backup'}" in service
    backups.mkdir()
    old = backups / "nichevid-20200101T031700Z.dump"
    old.write_bytes(b"an old dump")
    os.utime(old, (time.time() - 5 * 86_400, time.time() - 5 * 86_400))
    recent = backups / "nichevid-20991231T031700Z.dump"
    recent.write_bytes(b"a recent dump")
    ran = subprocess.run(
        [str(root / "nichevid-backup")], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    dump = Path(ran.stdout.strip())
    assert dump.parent == backups
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    listing = subprocess.run(
        [_pg_bin("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE public nv_video" in listing
    assert "TABLE public nv_user" in listing
    assert not old.exists()
    assert recent.exists()
    assert not list(backups.glob("*.partial"))
