"""Load runner: nichevid against a bare Litestar hello-world, measured in the same run.

    python -m bench.load --shape sqlite --users 1000 --videos 10000
    python -m bench.load --shape postgres --users 1000 --videos 10000
    python -m bench.load --data-dir /tmp/nv-bench --path / --path /healthz

Both servers run as separate uvicorn processes on 127.0.0.1 with the same options
(one worker, no access log, log level warning, uvloop and httptools when
installed). nichevid is served exactly as ``nichevid serve`` serves it (the
``nichevid.app:app_from_env`` factory), configured by ``NICHEVID_*`` variables.
``wrk`` drives them from another process for a bounded time, alternating between
the servers round by round because a small, shared machine is noisy; the report
gives medians per target and the ratio to hello-world. Results go to
``bench/results/*.json`` and a Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nichevid.testing.servers import no_settings_file

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HELLO = "hello-world"


class LoadError(Exception):
    """The run cannot go on; the message says what to fix."""


# -- wrk output ------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m)"


@dataclass
class WrkResult:
    """What one wrk run measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int = 0
    socket_errors: int = 0


def parse_wrk(output: str) -> WrkResult:
    """Parse the text of ``wrk --latency``.

    Raises:
        LoadError: When the output lacks the throughput or the latency distribution.
    """
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rps is None:
        raise LoadError(f"no Requests/sec in wrk output:\n{output}")
    percentiles: dict[str, float] = {}
    for pct, value, unit in re.findall(rf"^\s+(50|99)(?:\.0+)?%\s+{_DURATION}\s*$", output, re.M):
        percentiles[pct] = float(value) * _UNITS_MS[unit]
    if set(percentiles) != {"50", "99"}:
        raise LoadError(f"no latency distribution in wrk output (run it with --latency):\n{output}")
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        requests=int(total.group(1)) if total else 0,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


# -- servers ---------------------------------------------------------------------------------


def uvicorn_options() -> list[str]:
    """The uvicorn options used for every server of a run."""
    # As ``nichevid serve`` runs it without trusted proxies: no proxy-header rewriting.
    options = ["--workers", "1", "--no-access-log", "--log-level", "warning", "--no-proxy-headers"]
    for module, flag in (("uvloop", ["--loop", "uvloop"]), ("httptools", ["--http", "httptools"])):
        try:
            __import__(module)
        except ImportError:
            continue
        options.extend(flag)
    return options


def free_port() -> int:
    from nichevid.testing.servers import free_port as pick

    return pick()


@dataclass
class Server:
    """A server under test, started by this process."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop it by its process id: SIGINT, then SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextmanager
def serve(
    name: str, app: list[str], env: dict[str, str], probe: str, workdir: Path
) -> Iterator[Server]:
    """Run ``uvicorn <app>`` on a free port of 127.0.0.1 until the block ends."""
    port = free_port()
    log = workdir / f"{name.strip('/').replace('/', '_') or 'root'}-{port}.log"
    command = [
        sys.executable, "-m", "uvicorn", *app,
        "--host", "127.0.0.1", "--port", str(port), "--app-dir", str(REPO),
        *uvicorn_options(),
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise LoadError(f"{name} exited with {process.returncode}:\n{log.read_text()}")
            try:
                status, _ = _get(server.base + probe, timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise LoadError(f"{name} did not answer {probe} within 60 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Target:
    """One URL to measure: hello-world's ``/`` or a path of nichevid."""

    name: str
    url: str
    runs: list[WrkResult] = field(default_factory=list)
    # A wrk Lua script that varies the requests (paths, cookies); else the URL as is.
    script: Path | None = None

    def median(self, attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in self.runs))


def run_wrk(
    url: str, threads: int, connections: int, seconds: int, script: Path | None = None
) -> WrkResult:
    """One bounded wrk run against a URL on 127.0.0.1."""
    if not url.startswith("http://127.0.0.1:"):
        raise LoadError(f"load goes to 127.0.0.1 only, not {url}")
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", "5s", *(["-s", str(script)] if script else []), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def machine() -> dict[str, Any]:
    """Facts about the machine and software that a figure depends on."""
    from importlib.metadata import version

    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    rev = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "litestar": version("litestar"),
        "uvicorn": version("uvicorn"),
        "wrk": (wrk.stdout or wrk.stderr).split("[")[0].strip(),
        "commit": rev.stdout.strip() + ("+changes" if dirty.stdout.strip() else ""),
        "loadavg_before": os.getloadavg(),
    }


def measure(
    targets: list[Target], rounds: int, threads: int, connections: int, seconds: int, warmup: int
) -> None:
    """Warm every target up, then run wrk round by round, alternating the order each round."""
    for target in targets:
        print(f"warm-up {target.name} ({warmup} s)", file=sys.stderr, flush=True)
        run_wrk(target.url, threads, connections, warmup, target.script)
    for index in range(rounds):
        order = targets if index % 2 == 0 else list(reversed(targets))
        for target in order:
            result = run_wrk(target.url, threads, connections, seconds, target.script)
            target.runs.append(result)
            print(
                f"round {index + 1}/{rounds} {target.name}: {result.requests_per_s:,.0f} req/s, "
                f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms",
                file=sys.stderr,
                flush=True,
            )
            if result.requests == 0:
                raise LoadError(
                    f"{target.name}: no request was answered in {seconds} s, which measures "
                    "nothing; see the server log and the machine's load"
                )
            if result.non_2xx_3xx or result.socket_errors:
                raise LoadError(
                    f"{target.name}: {result.non_2xx_3xx} error responses and "
                    f"{result.socket_errors} socket errors; see the server log"
                )


def markdown(targets: list[Target]) -> str:
    """The report: medians per target and the throughput ratio to hello-world."""
    hello = next(t for t in targets if t.name == HELLO)
    lines = [
        "| target | req/s (median) | p50 ms | p99 ms | ratio to hello | req/s per round |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for target in targets:
        ratio = target.median("requests_per_s") / hello.median("requests_per_s")
        rounds = ", ".join(f"{r.requests_per_s:,.0f}" for r in target.runs)
        lines.append(
            f"| {target.name} | {target.median('requests_per_s'):,.0f} | "
            f"{target.median('p50_ms'):.2f} | {target.median('p99_ms'):.2f} | "
            f"{ratio:.2f} | {rounds} |"
        )
    return "\n".join(lines)


def generate_data(args: argparse.Namespace, data_dir: Path, database_url: str) -> None:
    """Fill ``data_dir`` (and ``database_url``) with ``bench.generate`` at the sizes asked."""
    command = [
        sys.executable, "-m", "bench.generate", "--users", str(args.users),
        "--videos", str(args.videos), "--events", str(args.events), "--seed", str(args.seed),
        "--data-dir", str(data_dir),
    ]  # fmt: skip
    if database_url:
        command += ["--database-url", database_url]
    print("$ " + " ".join(command[1:]), file=sys.stderr, flush=True)
    subprocess.run(command, cwd=REPO, check=True, stdout=sys.stderr)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = load_parser("python -m bench.load", (__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--path", action="append", dest="paths", help="nichevid path to measure (default: /)"
    )
    args = parser.parse_args(argv)
    args.paths = args.paths or ["/"]
    check_args(parser, args)
    return args


def load_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options every wrk benchmark takes: data, shape, rounds, load and settings."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--shape", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--redis", action="store_true", help="also start Redis (production shape)")
    parser.add_argument("--data-dir", type=Path, help="use data already generated there")
    parser.add_argument("--database-url", default="", help="with --data-dir: its database")
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per target")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--label", default="", help="name of the results file")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where it goes")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a nichevid setting for the server under test, e.g. server.page_cache_seconds=0",
    )
    parser.add_argument(
        "--app",
        default="nichevid.app:app_from_env",
        help="app factory to serve as nichevid (importable; PYTHONPATH is passed on)",
    )
    return parser


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse option values a run cannot use, with argparse's usage message."""
    if not 1 <= args.duration <= 120 or not 1 <= args.rounds <= 10:
        parser.error("--duration must be 1..120 seconds and --rounds 1..10")
    if args.data_dir and args.shape == "postgres" and not args.database_url:
        parser.error("--data-dir with --shape postgres needs --database-url")


def setting_env(pairs: list[str]) -> dict[str, str]:
    """``["server.page_cache_seconds=0"]`` -> ``{"NICHEVID_SERVER__PAGE_CACHE_SECONDS": "0"}``."""
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise LoadError(f"--set {pair!r}: use SECTION.KEY=VALUE")
        env["NICHEVID_" + key.strip().replace(".", "__").upper()] = value
    return env


def instance_env(args: argparse.Namespace, stack: ExitStack, workdir: Path) -> dict[str, str]:
    """The environment of a nichevid server over the data ``args`` ask for.

    Generates the data into ``workdir`` (and a throw-away PostgreSQL with ``--shape
    postgres``) unless ``--data-dir`` names data made before; starts Redis with
    ``--redis``. What it starts is stopped when ``stack`` closes.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    # Only the settings the bench chooses: no nichevid.toml of the folder it runs from.
    env["NICHEVID_CONFIG"] = str(no_settings_file())
    env["NICHEVID_LOG_LEVEL"] = "WARNING"
    env["NICHEVID_LOAD_PLUGINS"] = os.environ.get("NICHEVID_LOAD_PLUGINS", "")
    database_url = args.database_url
    if args.data_dir:
        data_dir = args.data_dir
    else:
        data_dir = workdir / "data"
        data_dir.mkdir()
        if args.shape == "postgres":
            from nichevid.testing.servers import start_postgres

            postgres = start_postgres()
            stack.callback(postgres.stop)
            database_url = postgres.url
        generate_data(args, data_dir, database_url)
    if args.redis:
        from nichevid.testing.servers import start_redis

        redis = start_redis()
        stack.callback(redis.stop)
        env["NICHEVID_REDIS_URL"] = redis.url
    env["NICHEVID_DATA_DIR"] = str(data_dir)
    if database_url:
        env["NICHEVID_DATABASE_URL"] = database_url
    env.update(setting_env(args.settings))
    return env


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start what the run needs, measure, stop everything; return the report."""
    if shutil.which("wrk") is None:
        raise LoadError("wrk not found: apt-get install wrk")
    started = datetime.now(UTC)
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-bench-"))
        stack.callback(shutil.rmtree, workdir, True)
        env = instance_env(args, stack, workdir)
        hello = stack.enter_context(serve(HELLO, ["bench.hello:app"], env, "/", workdir))
        app = [args.app, "--factory"]
        nichevid = stack.enter_context(serve("nichevid", app, env, "/healthz", workdir))
        targets = [Target(HELLO, hello.base + "/")]
        for path in args.paths:
            status, body = _get(nichevid.base + path)
            if status != 200:
                raise LoadError(
                    f"GET {path} answered {status}, not 200: {body[:300]!r}; "
                    f"server log:\n{nichevid.log.read_text()[-3000:]}"
                )
            targets.append(Target(f"GET {path}", nichevid.base + path))
        facts = machine()
        measure(targets, args.rounds, args.threads, args.connections, args.duration, args.warmup)
        facts["loadavg_after"] = os.getloadavg()
    return report(args, started, targets, facts, "python -m bench.load")


def wrk_options(args: argparse.Namespace) -> dict[str, int]:
    """How wrk ran, as kept with the results."""
    return {
        "threads": args.threads,
        "connections": args.connections,
        "seconds": args.duration,
        "rounds": args.rounds,
    }


def summary(target: Target) -> dict[str, Any]:
    """A target's medians and every run, as kept with the results."""
    return {
        "name": target.name,
        "median_requests_per_s": target.median("requests_per_s"),
        "median_p50_ms": target.median("p50_ms"),
        "median_p99_ms": target.median("p99_ms"),
        "runs": [asdict(r) for r in target.runs],
    }


def report(
    args: argparse.Namespace,
    started: datetime,
    targets: list[Target],
    facts: dict[str, Any],
    command: str,
) -> dict[str, Any]:
    """Everything a run measured and how, as kept in ``bench/results``."""
    hello_rps = targets[0].median("requests_per_s")
    return {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join([command, *sys.argv[1:]]),
        "shape": args.shape + ("+redis" if args.redis else ""),
        "data": {"users": args.users, "videos": args.videos, "events": args.events}
        if not args.data_dir
        else {"data_dir": str(args.data_dir)},
        "wrk": wrk_options(args),
        "app": args.app,
        "settings": args.settings,
        "uvicorn": uvicorn_options(),
        "machine": facts,
        "targets": [
            {**summary(t), "ratio_to_hello": t.median("requests_per_s") / hello_rps}
            for t in targets
        ],
        "markdown": markdown(targets),
    }


def save(found: dict[str, Any], label: str, directory: Path = RESULTS_DIR) -> Path:
    """Write a run's report to ``directory`` and print its table; return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}-{label}.json"
    path.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    print(found["markdown"])
    print(
        f"\n{found['machine']['nproc']} CPUs, Python {found['machine']['python']}; "
        f"results in {path}"
    )
    return path


def run_and_save(
    args: argparse.Namespace,
    measure_run: Callable[[argparse.Namespace], dict[str, Any]],
    label: str,
) -> int:
    """Run a benchmark and save its report as ``label``; 1, saying why, when it cannot run."""
    try:
        found = measure_run(args)
    except (LoadError, subprocess.CalledProcessError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    save(found, label, args.results_dir)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_and_save(args, run, args.label or args.shape)


if __name__ == "__main__":
    sys.exit(main())
