"""Studio pages over the generated platform data: how long a creator waits for their figures.

    python -m bench.studio --shape sqlite --users 10000 --videos 100000 --events 1000000
    python -m bench.studio --data-dir /tmp/nvf          # data generated before
    python -m bench.studio --shape postgres --data-dir DIR --database-url postgresql://...

The studio reads its figures from the stored rows when asked, so its cost grows with
a creator's views. This picks creators by their views in the data (the busiest, the
tenth busiest and the median one among creators with views), signs each in through
the login form, and asks for their pages one request at a time from this process
to one uvicorn worker on 127.0.0.1: the overview of 30 and 90 days, the JSON API,
their most viewed video's page and the CSV. An admin then asks for the operators'
activity page of 7, 30 and 90 days, measured anew each time (``fresh=1``). Each URL
is asked once to warm up, then ``--requests`` times; every answer must be 200. Results go to
``bench/results/<time>-<label>.json`` and a table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.foryou import sign_in
from bench.load import RESULTS_DIR, LoadError, instance_env, machine, run_and_save, serve
from bench.rows import PASSWORD


@dataclass
class Creator:
    """A creator of the data and what they have."""

    rank: str
    username: str
    views: int
    videos: int
    top_video: str


@dataclass
class Timing:
    """One URL of one creator, asked ``len(ms)`` times."""

    creator: str
    name: str
    path: str
    bytes: int = 0
    ms: list[float] = field(default_factory=list)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def environment(env: dict[str, str]) -> Any:
    """This process's environment replaced by ``env`` for the block."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


_CREATORS_SQL = """
    SELECT v.owner AS owner, COUNT(*) AS views, COUNT(DISTINCT v.id) AS videos
      FROM nv_watch_event e JOIN nv_video v ON v.id = e.video
     GROUP BY v.owner ORDER BY views DESC
"""
_TOP_VIDEO_SQL = """
    SELECT v.slug AS slug, COUNT(*) AS views
      FROM nv_watch_event e JOIN nv_video v ON v.id = e.video
     WHERE v.owner = {} GROUP BY v.slug ORDER BY views DESC LIMIT 1
"""


async def _creators() -> list[Creator]:
    from nichevid.accounts.tables import User
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources
    from nichevid.settings import load_settings

    settings = load_settings()
    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        ranked = await User.raw(_CREATORS_SQL)
        if not ranked:
            raise LoadError("the data has no watch events: generate it with --events")
        picks = {"busiest": ranked[0], "10th": ranked[min(9, len(ranked) - 1)]}
        picks["median"] = ranked[len(ranked) // 2]
        found = []
        for rank, row in picks.items():
            user = await User.select(User.username).where(User.id == row["owner"]).first()
            top = await User.raw(_TOP_VIDEO_SQL, row["owner"])
            found.append(
                Creator(rank, user["username"], row["views"], row["videos"], top[0]["slug"])
            )
        return found
    finally:
        await close_resources(resources)


def _ask(url: str, cookie: str) -> tuple[float, int]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        if response.status != 200:
            raise LoadError(f"{url} answered {response.status}")
    return (time.perf_counter() - started) * 1000, len(body)


ADMIN = "benchadmin"


def make_admin(env: dict[str, str]) -> None:
    """An admin account for the operators' page (kept when the data is used again)."""
    command = [
        sys.executable, "-c", "from nichevid.cli import main; main()",
        "user", "create", ADMIN, "--role", "admin", "--password-stdin",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0 and "taken" not in done.stdout + done.stderr:
        raise LoadError(f"could not create {ADMIN}: {done.stdout}{done.stderr}")


def admin_paths() -> list[tuple[str, str]]:
    """The operators' activity page, measured anew on every request (``fresh=1``)."""
    return [
        (f"activity, {days} days", f"/admin/activity?days={days}&fresh=1") for days in (7, 30, 90)
    ]


def paths(creator: Creator) -> list[tuple[str, str]]:
    return [
        ("overview, 30 days", "/studio?days=30"),
        ("overview, 90 days", "/studio?days=90"),
        ("API, 30 days", "/api/studio?days=30"),
        ("top video, 30 days", f"/studio/v/{creator.top_video}?days=30"),
        ("CSV, 30 days", "/studio/export.csv?days=30"),
    ]


def markdown(creators: list[Creator], timings: list[Timing]) -> str:
    lines = [
        "| creator (views, videos viewed) | page | p50 ms | p90 ms | max ms | KB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    about = {c.username: f"{c.rank} ({c.views:,}, {c.videos:,})" for c in creators}
    about[ADMIN] = "admin (the whole instance)"
    for t in timings:
        lines.append(
            f"| {about[t.creator]} | {t.name} | {statistics.median(t.ms):.1f} | "
            f"{t.quantile(0.9):.1f} | {max(t.ms):.1f} | {t.bytes / 1024:.0f} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = datetime.now(UTC)
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-bench-"))
        stack.callback(shutil.rmtree, workdir, True)
        env = instance_env(args, stack, workdir)
        with environment(env):
            creators = asyncio.run(_creators())
        make_admin(env)
        app = ["nichevid.app:app_from_env", "--factory"]
        nichevid = stack.enter_context(serve("nichevid", app, env, "/healthz", workdir))
        timings = []
        asked = [(c.username, paths(c)) for c in creators] + [(ADMIN, admin_paths())]
        for username, pages in asked:
            cookie = sign_in(nichevid.base, username)
            for name, path in pages:
                timing = Timing(username, name, path)
                _ask(nichevid.base + path, cookie)
                for _ in range(args.requests):
                    ms, size = _ask(nichevid.base + path, cookie)
                    timing.ms.append(ms)
                    timing.bytes = size
                timings.append(timing)
        facts = machine()
        facts["loadavg_after"] = os.getloadavg()
    return {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.studio", *sys.argv[1:]]),
        "shape": args.shape,
        "data": {"users": args.users, "videos": args.videos, "events": args.events}
        if not args.data_dir
        else {"data_dir": str(args.data_dir)},
        "requests": args.requests,
        "machine": facts,
        "creators": [asdict(c) for c in creators],
        "timings": [asdict(t) for t in timings],
        "markdown": markdown(creators, timings),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.studio", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--shape", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--data-dir", type=Path, help="use data already generated there")
    parser.add_argument("--database-url", default="", help="with --data-dir: its database")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--label", default="", help="name of the results file")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where it goes")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 200:
        parser.error("--requests must be 1..200")
    if args.data_dir and args.shape == "postgres" and not args.database_url:
        parser.error("--data-dir with --shape postgres needs --database-url")
    # What instance_env reads besides: no Redis, no extra settings.
    args.redis, args.settings = False, []
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_and_save(args, run, args.label or f"studio-{args.shape}")


if __name__ == "__main__":
    sys.exit(main())
