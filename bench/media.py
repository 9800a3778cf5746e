"""Media benchmark: byte ranges of one video file, from local disk and from an S3 bucket.

    python -m bench.media                          # 8 MiB file, 1 MiB ranges, 3 rounds
    python -m bench.media --size-mb 32 --range-kb 256 --rounds 5

A browser plays a video by asking for byte ranges of it. This asks the same, with
wrk from another process on 127.0.0.1, of three servers holding the same file:

* ``local``: nichevid with the default storage (local disk), its media route
  streaming the file;
* ``s3 proxy``: nichevid with the S3 plugin (``serve = "proxy"``), its media route
  reading each range from a bucket of a SeaweedFS server on 127.0.0.1;
* ``s3 direct``: the SeaweedFS S3 gateway itself, on an address signed by S3, which
  is where browsers go with ``serve = "presign"``.

Both nichevid servers are one uvicorn worker each (as ``bench.load`` runs them) on
one SQLite database holding a ready, public video. Every request asks for a range
of ``--range-kb`` at a random offset aligned to it; each target's answer is
checked against the file before it is measured. Targets alternate round by round.
Results go to ``bench/results/<time>-<label>.json`` and a table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import (
    RESULTS_DIR,
    LoadError,
    Target,
    machine,
    measure,
    run_and_save,
    serve,
    summary,
    wrk_options,
)
from nichevid.testing.servers import (
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    no_settings_file,
    start_seaweedfs,
)

SLUG = "benchclip1"
KEY = f"videos/{SLUG}/360p.mp4"
BUCKET = "nichevid-bench"
KIB = 1024


def s3_env(endpoint: str) -> dict[str, str]:
    """The settings of an instance keeping its media in the bench bucket."""
    return {
        "NICHEVID_LOAD_PLUGINS": "s3",
        "NICHEVID_PLUGINS__ENABLED": '["s3"]',
        "NICHEVID_STORAGE__BACKEND": "s3",
        "NICHEVID_PLUGIN__S3__BUCKET": BUCKET,
        "NICHEVID_PLUGIN__S3__ENDPOINT_URL": endpoint,
        "NICHEVID_PLUGIN__S3__ACCESS_KEY_ID": S3_ACCESS_KEY,
        "NICHEVID_PLUGIN__S3__SECRET_ACCESS_KEY": S3_SECRET_KEY,
    }


async def _prepare(data: bytes, endpoint: str) -> str:
    """A ready public video whose file is on local disk and in the bucket; returns the
    presigned address of the bucket's copy. Runs with the process's ``NICHEVID_*``."""
    from nichevid.accounts.users import create_user
    from nichevid.db import connect, disconnect, make_engine, migrate, piccolo_app_configs
    from nichevid.media.tables import Video
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources
    from nichevid.settings import Secret, load_settings
    from nichevid_storage_s3.settings import S3Settings
    from nichevid_storage_s3.storage import S3Storage

    bucket = S3Storage(
        S3Settings(
            bucket=BUCKET,
            endpoint_url=endpoint,
            access_key_id=S3_ACCESS_KEY,
            secret_access_key=Secret(S3_SECRET_KEY),
            serve="presign",
            presign_seconds=24 * 3600,
        )
    )
    client = await bucket.client()
    for attempt in range(60):
        try:
            await client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if attempt == 59:
                raise
            await asyncio.sleep(0.5)
    await bucket.put_bytes(KEY, data)
    direct = await bucket.url(KEY)
    await bucket.close()

    settings = load_settings()
    pm = make_plugin_manager(settings)
    engine = make_engine(settings.database_url)
    await connect(engine)
    await migrate(engine, piccolo_app_configs(pm))
    await disconnect(engine)
    resources = await open_resources(settings, pm, start_jobs=False)
    try:
        owner = await create_user(
            settings,
            pm,
            username="bench",
            email="bench@example.com",
            password="correct horse battery staple",
        )
        await Video(
            slug=SLUG, owner=owner.id, visibility="public", status="ready", caption="bench"
        ).save()
        await resources.storage.put_bytes(KEY, data)
    finally:
        await close_resources(resources)
    return direct


def range_script(workdir: Path, path: str, size: int, span: int, seed: int) -> Path:
    """A wrk script asking for ``span`` bytes at random aligned offsets of ``path``."""
    script = workdir / f"ranges-{abs(hash(path))}.lua"
    script.write_text(
        f"""math.randomseed({seed})
local slots = {size // span}
request = function()
  local start = math.random(0, slots - 1) * {span}
  wrk.headers["Range"] = "bytes=" .. start .. "-" .. (start + {span} - 1)
  return wrk.format("GET", {path!r})
end
""",
        encoding="utf-8",
    )
    return script


def check_range(url: str, data: bytes, span: int) -> None:
    """One range of ``url`` must be exactly those bytes of the file."""
    start = span * (len(data) // span // 2)
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-{start + span - 1}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
        if answer.status != 206 or body != data[start : start + span]:
            raise LoadError(f"{url} answered {answer.status} with other bytes than the file's")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.media", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--size-mb", type=int, default=8, help="size of the file (1..256)")
    parser.add_argument("--range-kb", type=int, default=1024, help="bytes per request")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per target")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="media")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not 1 <= args.size_mb <= 256 or not 4 <= args.range_kb <= args.size_mb * 1024:
        parser.error("--size-mb must be 1..256 and --range-kb 4..the file's size")
    if not 1 <= args.duration <= 120 or not 1 <= args.rounds <= 10:
        parser.error("--duration must be 1..120 seconds and --rounds 1..10")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise LoadError("wrk not found: apt-get install wrk")
    started = datetime.now(UTC)
    size, span = args.size_mb * KIB * KIB, args.range_kb * KIB
    data = random.Random(args.seed).randbytes(size)
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-bench-media-"))
        stack.callback(shutil.rmtree, workdir, True)
        store = start_seaweedfs()
        stack.callback(store.stop)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
        env.update(
            NICHEVID_CONFIG=str(no_settings_file()),
            NICHEVID_LOG_LEVEL="WARNING",
            NICHEVID_LOAD_PLUGINS="",
            NICHEVID_DATA_DIR=str(workdir / "data"),
            NICHEVID_SECRET_KEY="bench-secret-key-not-for-production",
        )
        (workdir / "data").mkdir()
        prepare = subprocess.run(
            [sys.executable, "-c", "from bench.media import prepare_main; "
             f"prepare_main({store.url!r}, {args.size_mb}, {args.seed})"],
            env=env, cwd=Path(__file__).resolve().parent.parent,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if prepare.returncode != 0:
            raise LoadError(f"preparing the data failed:\n{prepare.stderr[-3000:]}")
        direct = prepare.stdout.strip().splitlines()[-1]
        app = ["nichevid.app:app_from_env", "--factory"]
        local = stack.enter_context(serve("local", app, env, "/healthz", workdir))
        proxied = stack.enter_context(
            serve("s3-proxy", app, {**env, **s3_env(store.url)}, "/healthz", workdir)
        )
        path = f"/media/{KEY}"
        direct_path = direct.split(store.url, 1)[1]
        targets = [
            Target("local disk, media route", local.base + path),
            Target("S3 proxy, media route", proxied.base + path),
            Target("S3 direct (presign)", store.url + direct_path),
        ]
        for target, request_path in zip(targets, [path, path, direct_path], strict=True):
            check_range(target.url, data, span)
            target.script = range_script(workdir, request_path, size, span, args.seed)
        facts = machine()
        measure(targets, args.rounds, args.threads, args.connections, args.duration, args.warmup)
        facts["loadavg_after"] = os.getloadavg()
    return report(args, started, targets, facts)


def prepare_main(endpoint: str, size_mb: int, seed: int) -> None:
    """Entry of the preparing subprocess (its own ``NICHEVID_*`` environment)."""
    data = random.Random(seed).randbytes(size_mb * KIB * KIB)
    print(asyncio.run(_prepare(data, endpoint)))


def report(
    args: argparse.Namespace, started: datetime, targets: list[Target], facts: dict[str, Any]
) -> dict[str, Any]:
    span = args.range_kb * KIB
    local = targets[0].median("requests_per_s")
    lines = [
        "| target | req/s (median) | MiB/s | p50 ms | p99 ms | ratio to local | req/s per round |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for target in targets:
        rps = target.median("requests_per_s")
        rounds = ", ".join(f"{r.requests_per_s:,.0f}" for r in target.runs)
        lines.append(
            f"| {target.name} | {rps:,.0f} | {rps * span / KIB / KIB:,.0f} | "
            f"{target.median('p50_ms'):.2f} | {target.median('p99_ms'):.2f} | "
            f"{rps / local:.2f} | {rounds} |"
        )
    return {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.media", *sys.argv[1:]]),
        "file": {"bytes": args.size_mb * KIB * KIB, "range_bytes": span},
        "wrk": wrk_options(args),
        "machine": facts,
        "targets": [summary(t) for t in targets],
        "markdown": "\n".join(lines),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    begun = time.monotonic()
    code = run_and_save(args, run, args.label)
    print(f"took {time.monotonic() - begun:.0f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
