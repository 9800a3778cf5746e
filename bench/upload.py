"""Upload benchmark: a tus upload against one plain request of the same file, same server.

    python -m bench.upload                      # 1 GiB, 3 rounds, 8 MiB tus chunks
    python -m bench.upload --bytes 268435456 --chunk-mb 16 --rounds 5

One ``nichevid`` server (``uvicorn nichevid.app:app_from_env``, embedded shape:
SQLite and the in-process job runner, local storage) runs on 127.0.0.1 in its own
process, with a creator account and an API token made through ``nichevid user``.
A file of ``--bytes`` random bytes is written once. Each round uploads it twice,
the order alternating: with the official tus client (tuspy: one creation request,
then ``PATCH`` requests of ``--chunk-mb``) to ``/uploads/``, and as the body of a
single ``POST /api/videos``. The wall time runs from the first byte sent until the
last response, which comes once the server has moved the file into storage; the
server's CPU time (user and system, all threads) is taken over the same span.

The file is not a video: the server queues it for processing as usual, and the job
finds it is not one and marks the video failed. Between uploads, outside the timed
part, the benchmark waits for that and deletes the video through
``DELETE /api/videos/{id}``, so every upload starts from the same empty instance.

The server's memory: its resident set before each upload is the baseline; the peak
during the upload comes from ``VmHWM`` (reset first by writing 5 to
``/proc/<pid>/clear_refs``) and from sampling ``VmRSS`` every 50 ms, whichever is
higher. Results go to ``bench/results/<time>-<label>.json`` and a table to stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.load import REPO, RESULTS_DIR, LoadError, machine, serve
from nichevid.testing.servers import no_settings_file

MIB = 1024**2
PASSWORD = "correct horse battery staple"
POLL_SECONDS = 0.05


# -- memory of the server --------------------------------------------------------------------


def status_kb(pid: int, field_name: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise LoadError(f"no {field_name} in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used, all threads together."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> bool:
    """Reset ``VmHWM`` to the current resident set; ``False`` where the kernel refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


class PeakSampler(threading.Thread):
    """Samples a process's ``VmRSS`` every 50 ms until stopped; keeps the highest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = status_kb(pid, "VmRSS")
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(POLL_SECONDS):
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_kb


@dataclass
class Run:
    """One timed upload."""

    method: str
    seconds: float
    server_cpu_seconds: float
    baseline_mb: float
    peak_growth_mb: float
    requests: int

    def mb_per_s(self, size: int) -> float:
        return size / MIB / self.seconds


def measure(pid: int, method: str, upload: Callable[[], tuple[int, str]]) -> tuple[Run, str]:
    """Time ``upload()`` and the server's peak memory during it.

    ``upload()`` returns how many requests it made and the id it got back.
    """
    baseline = status_kb(pid, "VmRSS")
    exact = reset_peak(pid)
    sampler = PeakSampler(pid)
    sampler.start()
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    try:
        requests, made = upload()
    finally:
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu
        sampled = sampler.stop()
    peak = max(sampled, status_kb(pid, "VmHWM") if exact else 0)
    growth = max(0, peak - baseline) / 1024
    return Run(method, seconds, cpu, baseline / 1024, growth, requests), made


# -- the two clients -------------------------------------------------------------------------


def upload_tus(
    base: str, token: str, path: Path, chunk_bytes: int, limit: float
) -> tuple[int, str]:
    """Upload with tuspy within ``limit`` seconds; return the number of requests and the id."""
    from tusclient import client

    tus = client.TusClient(f"{base}/uploads/", headers={"Authorization": f"Bearer {token}"})
    uploader = tus.uploader(
        str(path),
        chunk_size=chunk_bytes,
        metadata={"filename": "bench.bin", "caption": "bench", "visibility": "private"},
    )
    size = path.stat().st_size
    deadline = time.monotonic() + limit
    requests = 0
    # What uploader.upload() does, chunk by chunk, so a slow run stops at the deadline.
    while requests == 0 or uploader.offset < size:
        if time.monotonic() > deadline:
            raise LoadError(f"the tus upload took over {limit:.0f} s (at {uploader.offset} bytes)")
        uploader.upload_chunk()
        requests += 2 if requests == 0 else 1
    if uploader.offset != size or uploader.url is None:
        raise LoadError(f"tus upload stopped at {uploader.offset} of {size} bytes")
    return requests, str(uploader.url).rstrip("/").rsplit("/", 1)[-1]


def upload_plain(base: str, token: str, path: Path, limit: float) -> tuple[int, str]:
    """``POST /api/videos`` with the file as the body; return 1 and the video's id."""
    parts = urlsplit(base)
    query = urlencode({"filename": "bench.bin", "caption": "bench", "visibility": "private"})
    # The timeout bounds each socket operation; the server answers only after the last byte.
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=limit, blocksize=MIB
    )
    try:
        with path.open("rb") as body:
            connection.request(
                "POST",
                f"/api/videos?{query}",
                body=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(path.stat().st_size),
                },
            )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    if response.status != 201:
        raise LoadError(f"POST /api/videos answered {response.status}: {answer[:300]!r}")
    return 1, str(json.loads(answer)["id"])


# -- the server ------------------------------------------------------------------------------


def api_call(base: str, token: str, path: str, method: str = "GET") -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path, method=method, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def discard(base: str, token: str, video_id: str, limit: float = 120.0) -> str:
    """Wait until the server is done with the video, then delete it; return its last status."""
    deadline = time.monotonic() + limit
    status = "processing"
    while time.monotonic() < deadline:
        code, body = api_call(base, token, f"/api/videos/{video_id}")
        if code != 200:
            raise LoadError(f"GET /api/videos/{video_id} answered {code}: {body!r}")
        status = body["status"]
        if status != "processing":
            break
        time.sleep(0.2)
    code, body = api_call(base, token, f"/api/videos/{video_id}", method="DELETE")
    if code != 204:
        raise LoadError(f"DELETE /api/videos/{video_id} answered {code}: {body!r}")
    return str(status)


def nichevid_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nichevid.cli", *args],
        env=env, cwd=REPO, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise LoadError(f"nichevid {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def write_random_file(path: Path, size: int) -> None:
    """``size`` random bytes (nothing compresses them), written in 1 MiB blocks."""
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(MIB, left))
            out.write(block)
            left -= len(block)


def machine_facts() -> dict[str, Any]:
    try:
        return machine()
    except FileNotFoundError:  # no wrk, which this benchmark does not need
        return {"nproc": os.cpu_count(), "python": sys.version.split()[0]}


@dataclass
class Report:
    """What a run measured, per method."""

    size: int
    runs: dict[str, list[Run]] = field(default_factory=lambda: {"tus": [], "plain": []})

    def median(self, method: str, attr: str) -> float:
        return float(statistics.median(getattr(run, attr) for run in self.runs[method]))

    def throughput(self, method: str) -> float:
        return self.size / MIB / self.median(method, "seconds")

    def ratio(self) -> float:
        """tus throughput as a share of the plain request's."""
        return self.throughput("tus") / self.throughput("plain")

    def markdown(self, chunk_mb: int) -> str:
        lines = [
            "| method | requests | seconds (median) | MiB/s | server CPU s | peak memory growth "
            "MB (median / max) | seconds per round |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for method in ("plain", "tus"):
            runs = self.runs[method]
            name = "single POST /api/videos" if method == "plain" else f"tus, {chunk_mb} MiB chunks"
            cpu = self.median(method, "server_cpu_seconds")
            lines.append(
                f"| {name} | {runs[0].requests} | {self.median(method, 'seconds'):.2f} | "
                f"{self.throughput(method):,.0f} | {cpu:.2f} | "
                f"{self.median(method, 'peak_growth_mb'):.1f} / "
                f"{max(r.peak_growth_mb for r in runs):.1f} | "
                f"{', '.join(f'{r.seconds:.2f}' for r in runs)} |"
            )
        return "\n".join(lines) + f"\n\ntus / plain throughput: **{self.ratio():.2f}**"


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server, upload round by round, stop everything; return the report."""
    started = datetime.now(UTC)
    chunk_bytes = args.chunk_mb * MIB
    report = Report(args.bytes)
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-upload-bench-"))
        stack.callback(shutil.rmtree, workdir, True)
        (workdir / "data").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
        # Only the settings the bench chooses: no nichevid.toml of the folder it runs from.
        env["NICHEVID_CONFIG"] = str(no_settings_file())
        env.update(
            NICHEVID_DATA_DIR=str(workdir / "data"),
            NICHEVID_SECRET_KEY="upload-bench-secret-key",
            NICHEVID_LOG_LEVEL="WARNING",
            NICHEVID_LOAD_PLUGINS=os.environ.get("NICHEVID_LOAD_PLUGINS", ""),
            # The file must fit: the size limit a little above it, no quota.
            NICHEVID_MEDIA__MAX_BYTES=str(max(args.bytes + MIB, 2 * 1024**3)),
            NICHEVID_MEDIA__UPLOAD_QUOTA_BYTES="0",
        )
        nichevid_cli(env, "migrate")
        nichevid_cli(env, "user", "create", "bench", "--role", "creator", "--password-stdin",
             stdin=PASSWORD + "\n")  # fmt: skip
        token = nichevid_cli(env, "user", "token", "bench").strip().splitlines()[-1].strip()
        source = workdir / "upload.bin"
        print(f"writing {args.bytes:,} random bytes", file=sys.stderr, flush=True)
        write_random_file(source, args.bytes)
        app = ["nichevid.app:app_from_env", "--factory"]
        server = stack.enter_context(serve("nichevid", app, env, "/healthz", workdir))
        pid = server.process.pid
        facts = machine_facts()
        methods: dict[str, Callable[[], tuple[int, str]]] = {
            "tus": lambda: upload_tus(server.base, token, source, chunk_bytes, args.timeout),
            "plain": lambda: upload_plain(server.base, token, source, args.timeout),
        }
        # One small untimed upload each first: imports, connections and caches warm up.
        warm = workdir / "warm.bin"
        write_random_file(warm, min(args.bytes, 2 * chunk_bytes))
        for method, upload in (
            ("tus", lambda: upload_tus(server.base, token, warm, chunk_bytes, args.timeout)),
            ("plain", lambda: upload_plain(server.base, token, warm, args.timeout)),
        ):
            _, made = upload()
            if method == "tus":
                made = api_call(server.base, token, f"/api/uploads/{made}")[1]["video_id"]
            discard(server.base, token, made)
        for index in range(args.rounds):
            order = ["tus", "plain"] if index % 2 == 0 else ["plain", "tus"]
            for method in order:
                result, video_id = measure(pid, method, methods[method])
                report.runs[method].append(result)
                if method == "tus":
                    code, body = api_call(server.base, token, f"/api/uploads/{video_id}")
                    if code != 200 or body["offset"] != args.bytes or not body["video_id"]:
                        raise LoadError(f"the tus upload did not complete: {body!r}")
                    video_id = body["video_id"]
                final = discard(server.base, token, video_id)
                print(
                    f"round {index + 1}/{args.rounds} {method}: {result.seconds:.2f} s, "
                    f"{result.mb_per_s(args.bytes):,.0f} MiB/s, server CPU "
                    f"{result.server_cpu_seconds:.2f} s, peak "
                    f"+{result.peak_growth_mb:.1f} MB over {result.baseline_mb:.0f} MB "
                    f"(video {final}, deleted)",
                    file=sys.stderr,
                    flush=True,
                )
        facts["loadavg_after"] = os.getloadavg()
        leftovers = list((workdir / "data" / "uploads").glob("*"))
        if leftovers:
            raise LoadError(f"the server left partial files behind: {leftovers}")
    return {
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench.upload " + " ".join(sys.argv[1:]),
        "bytes": args.bytes,
        "chunk_mb": args.chunk_mb,
        "rounds": args.rounds,
        "machine": facts,
        "methods": {
            method: {
                "median_seconds": report.median(method, "seconds"),
                "median_server_cpu_seconds": report.median(method, "server_cpu_seconds"),
                "mib_per_s": report.throughput(method),
                "median_peak_growth_mb": report.median(method, "peak_growth_mb"),
                "max_peak_growth_mb": max(r.peak_growth_mb for r in runs),
                "runs": [asdict(r) for r in runs],
            }
            for method, runs in report.runs.items()
        },
        "tus_over_plain_throughput": report.ratio(),
        "markdown": report.markdown(args.chunk_mb),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.upload", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--bytes", type=int, default=1024**3, help="file size (default 1 GiB)")
    parser.add_argument("--chunk-mb", type=int, default=8, help="tus PATCH size in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per upload, at most")
    parser.add_argument("--label", default="upload", help="name of the results file")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not 1 <= args.bytes <= 8 * 1024**3:
        parser.error("--bytes must be 1 .. 8 GiB")
    if not 1 <= args.chunk_mb <= 1024 or not 1 <= args.rounds <= 10:
        parser.error("--chunk-mb must be 1..1024 and --rounds 1..10")
    if not 1 <= args.timeout <= 3600:
        parser.error("--timeout must be 1..3600 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
    except (LoadError, subprocess.CalledProcessError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results_dir / f"{stamp}-{args.label}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(report["markdown"])
    print(
        f"\n{args.bytes:,} bytes, {report['machine']['nproc']} CPUs, Python "
        f"{report['machine']['python']}; results in {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
