"""Watch-event ingestion benchmark: ``POST /api/events`` under load, count in = count stored.

    python -m bench.events --shape sqlite --videos 10000 --seconds 30
    python -m bench.events --shape postgres --redis --videos 10000 --seconds 30

Seeded users and videos come from :mod:`bench.generate`. nichevid runs as
:mod:`bench.load` runs it (uvicorn, one worker, the ``app_from_env`` factory). A
load generator in a second process posts batches of watch events, as the player
does (20 events per request, anonymous viewers with their own ``nv_viewer``
cookie, same-origin headers) over keep-alive connections to 127.0.0.1, for a
bounded time. Then the server
is stopped, which writes whatever its buffer still holds, and the rows in the
database are counted: the run fails unless every accepted event is stored once.

All requests come from 127.0.0.1, so the per-address limit
(``plugin.feed.events_ip_per_minute``) is turned off for the run; the per-viewer
limit stays on. Results go to ``bench/results/*.json`` and a table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.load import RESULTS_DIR, LoadError, generate_data, machine, serve, setting_env
from bench.rows import _zipf_index, video_slug
from nichevid.testing.servers import no_settings_file

REPO = Path(__file__).resolve().parent.parent
TARGET_EVENTS_PER_S = 5_000
FEEDS = ("foryou", "foryou", "foryou", "following", "hashtag", "profile")


# -- the load generator (second process) -----------------------------------------------------


def _events(rng: random.Random, videos: int, count: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        watched = rng.randint(200, 4_900)  # every generated video lasts at least 5 s
        out.append(
            {
                "id": f"{rng.getrandbits(96):024x}",
                # Views follow a long tail over videos, as the generated watch events do.
                "video": video_slug(_zipf_index(rng, videos) + 1),
                "watched_ms": watched,
                "replays": 0,
                "completed": False,
                "skipped": watched < 1_500,
                "feed": rng.choice(FEEDS),
            }
        )
    return out


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> tuple[int, bytes]:
    """One keep-alive HTTP/1.1 POST on an open connection: status and body of the answer.

    A plain client rather than httpx: it costs a fraction of the CPU, which the server
    under test shares on a small machine.
    """
    writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    header = await reader.readuntil(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _generate_load(args: argparse.Namespace) -> dict[str, Any]:
    parts = urlsplit(args.url)
    if parts.hostname != "127.0.0.1" or parts.port is None:
        raise LoadError(f"load goes to 127.0.0.1 only, not {args.url}")
    sessions = [f"{random.Random(i).getrandbits(128):032x}" for i in range(args.sessions)]
    totals: dict[str, Any] = {"requests": 0, "sent": 0, "accepted": 0, "duplicates": 0}
    totals.update(rejected=0, statuses={}, latencies_ms=[], measured_accepted=0)
    started = time.perf_counter()
    # Requests sent during the warm-up count for "count in = count stored", not for the rate.
    measure_from = started + args.warmup
    deadline = measure_from + args.seconds

    async def user(index: int) -> None:
        rng = random.Random(f"{args.seed}:{index}")
        reader, writer = await asyncio.open_connection("127.0.0.1", parts.port)
        try:
            while time.perf_counter() < deadline:
                session = sessions[rng.randrange(len(sessions))]
                events = _events(rng, args.videos, args.batch)
                head = (
                    f"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1:{parts.port}\r\n"
                    f"Origin: {args.url}\r\nSec-Fetch-Site: same-origin\r\n"
                    f"Content-Type: application/json\r\nCookie: nv_viewer={session}\r\n"
                ).encode()
                sent = time.perf_counter()
                status, body = await _post(
                    reader, writer, head, json.dumps({"events": events}).encode()
                )
                measured = sent >= measure_from
                if measured:
                    totals["latencies_ms"].append((time.perf_counter() - sent) * 1000)
                totals["requests"] += 1
                totals["sent"] += len(events)
                totals["statuses"][str(status)] = totals["statuses"].get(str(status), 0) + 1
                if status == 202:
                    answer = json.loads(body)
                    for key in ("accepted", "duplicates", "rejected"):
                        totals[key] += answer[key]
                    if measured:
                        totals["measured_accepted"] += answer["accepted"]
        finally:
            writer.close()

    await asyncio.gather(*(user(i) for i in range(args.concurrency)))
    totals["seconds"] = time.perf_counter() - measure_from
    latencies = sorted(totals.pop("latencies_ms")) or [0.0]
    totals["p50_ms"] = statistics.median(latencies)
    totals["p99_ms"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return totals


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- counting what was stored -----------------------------------------------------------------


def count_stored(data_dir: Path, database_url: str) -> int:
    """Rows in the watch-event table of the instance."""
    if database_url:

        async def count() -> int:
            import asyncpg

            conn = await asyncpg.connect(database_url)
            try:
                return int(await conn.fetchval("SELECT COUNT(*) FROM nv_watch_event"))
            finally:
                await conn.close()

        return asyncio.run(count())
    with sqlite3.connect(data_dir / "nichevid.sqlite3") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM nv_watch_event").fetchone()[0])


# -- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate data, start nichevid, drive it from a second process, stop it, count rows."""
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-bench-events-"))
        stack.callback(shutil.rmtree, workdir, True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
        # Only the settings the bench chooses: no nichevid.toml of the folder it runs from.
        env["NICHEVID_CONFIG"] = str(no_settings_file())
        env["NICHEVID_LOG_LEVEL"] = "WARNING"
        env["NICHEVID_LOAD_PLUGINS"] = os.environ.get("NICHEVID_LOAD_PLUGINS", "")
        data_dir = workdir / "data"
        data_dir.mkdir()
        database_url = ""
        if args.shape == "postgres":
            from nichevid.testing.servers import start_postgres

            postgres = start_postgres()
            stack.callback(postgres.stop)
            database_url = postgres.url
            env["NICHEVID_DATABASE_URL"] = database_url
        args.events = 0
        generate_data(args, data_dir, database_url)
        if args.redis:
            from nichevid.testing.servers import start_redis

            redis = start_redis()
            stack.callback(redis.stop)
            env["NICHEVID_REDIS_URL"] = redis.url
        env["NICHEVID_DATA_DIR"] = str(data_dir)
        env.update(setting_env(["plugin.feed.events_ip_per_minute=0", *args.settings]))
        before = count_stored(data_dir, database_url)
        with serve("nichevid", [args.app, "--factory"], env, "/healthz", workdir) as server:
            command = [
                sys.executable, "-m", "bench.events", "--load", server.base,
                "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                "--concurrency", str(args.concurrency),
                "--batch", str(args.batch), "--sessions", str(args.sessions),
                "--videos", str(args.videos), "--seed", str(args.seed),
            ]  # fmt: skip
            print(
                f"load: {args.warmup} s warm-up, then {args.seconds} s measured, "
                "from a second process",
                file=sys.stderr,
                flush=True,
            )
            cpu_before = cpu_seconds(server.process.pid)
            done = subprocess.run(
                command,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=args.warmup + args.seconds + 120,
            )
            if done.returncode != 0:
                raise LoadError(f"the load generator failed:\n{done.stderr[-3000:]}")
            load = json.loads(done.stdout)
            server_cpu = cpu_seconds(server.process.pid) - cpu_before
            facts = machine()
            # Stop it here, with time to write what its buffer holds (serve() would kill it
            # after 10 s).
            server.process.send_signal(signal.SIGINT)
            try:
                server.process.wait(timeout=300)
            except subprocess.TimeoutExpired as exc:
                raise LoadError("nichevid did not stop within 300 s of SIGINT") from exc
            log_tail = server.log.read_text()[-2000:]
        # The server has stopped: its buffer was written on the way out.
        stored = count_stored(data_dir, database_url) - before
    accepted = int(load["accepted"])
    rate = load["measured_accepted"] / load["seconds"]
    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.events " + " ".join(sys.argv[1:]),
        "shape": args.shape + ("+redis" if args.redis else ""),
        "data": {"users": args.users, "videos": args.videos},
        "load": {k: v for k, v in load.items()},
        "events_per_s_accepted": rate,
        # Capacity of one web process, less sensitive to a busy machine than wall time.
        "server_cpu_seconds": server_cpu,
        "events_per_server_cpu_second": accepted / server_cpu if server_cpu else 0.0,
        "stored": stored,
        "count_matches": stored == accepted,
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "machine": facts,
        "server_log_tail": log_tail if stored != accepted else "",
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table row with its header."""
    load = report["load"]
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(load["statuses"].items()))
    return "\n".join(
        [
            "| shape | seconds measured | requests (all) | events accepted (measured) "
            "| events/s accepted | p50 ms | p99 ms "
            "| stored (all, warm-up included) | events per server CPU-second | statuses |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| {report['shape']} | {load['seconds']:.1f} | {load['requests']:,} | "
            f"{load['measured_accepted']:,} | **{report['events_per_s_accepted']:,.0f}** | "
            f"{load['p50_ms']:.1f} | {load['p99_ms']:.1f} | {report['stored']:,} | "
            f"{report['events_per_server_cpu_second']:,.0f} | {statuses} |",
        ]
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.events", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--shape", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--redis", action="store_true", help="also start Redis (production shape)")
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load is measured")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of load before measuring (caches fill)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--batch", type=int, default=20, help="events per request")
    parser.add_argument("--sessions", type=int, default=2_000, help="distinct anonymous viewers")
    parser.add_argument("--label", default="", help="name of the results file")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where results go")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a nichevid setting for the server, e.g. plugin.feed.events_flush_size=5000",
    )
    parser.add_argument("--app", default="nichevid.app:app_from_env", help="app factory to serve")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args(argv)
    if not 0.5 <= args.seconds <= 600 or not 0 <= args.warmup <= 120:
        parser.error("--seconds must be 0.5..600 and --warmup 0..120")
    if args.videos < 1 or args.users < 1 or args.batch < 1 or args.concurrency < 1:
        parser.error("--users, --videos, --batch and --concurrency must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.load:
        args.url = args.load
        print(json.dumps(asyncio.run(_generate_load(args))))
        return 0
    try:
        report = run(args)
    except (LoadError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results_dir / f"{stamp}-events-{args.label or report['shape']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown(report))
    verdict = "met" if report["events_per_s_accepted"] >= TARGET_EVENTS_PER_S else "NOT met"
    print(
        f"\ncount in = {report['load']['accepted']:,} accepted, count stored = "
        f"{report['stored']:,}: {'equal' if report['count_matches'] else 'DIFFERENT'}; "
        f"target {TARGET_EVENTS_PER_S:,} events/s {verdict}; results in {path}"
    )
    return 0 if report["count_matches"] else 1


if __name__ == "__main__":
    sys.exit(main())
