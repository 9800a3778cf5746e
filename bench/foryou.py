"""For You fragment against hello-world: the next five cards, as the feed asks for them.

    python -m bench.foryou --shape postgres --users 10000 --videos 100000 --events 1000000
    python -m bench.foryou --shape sqlite --users 10000 --videos 100000 --events 1000000

Like ``bench.load`` (same servers, wrk, rounds and report), but the requests are the
htmx batches of the For You feed: each one asks ``/feed/next`` with a different
cursor, spread over the popular order and the newest-first tail after it. Signed-in
viewers are the case measured first: ``--viewers`` generated members sign in through
the login form once, and wrk hands their session cookies out in turn, so every
request pays for its session, its member and their like and follow state. Anonymous
viewers are measured beside them.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import (
    HELLO,
    LoadError,
    Target,
    check_args,
    instance_env,
    load_parser,
    machine,
    measure,
    report,
    run_and_save,
    serve,
)
from bench.rows import PASSWORD

PAGE = 5
# Cursors into the popular order (version 1: the first order a process builds; a later
# version makes the server fall back to its current order at the same offset).
MIX_PAGES = 150
TAIL_CURSORS = 50


def sign_in(base: str, username: str) -> str:
    """Sign one member in through the login form; return the ``Cookie`` header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/login", timeout=30).read()
    csrf = next((c.value for c in jar if c.name == "nv_csrf"), "")
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(base + "/login", data=body, headers={"x-csrftoken": csrf})
    opener.open(request, timeout=30).read()
    cookies = {c.name: c.value for c in jar}
    if "nv_session" not in cookies:
        raise LoadError(f"{username} could not sign in at {base}/login")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def cursors(videos: int, seed: int) -> list[str]:
    """Cursors the feed hands out: pages of the popular order, then places in the tail."""
    rng = random.Random(seed)
    mix = [f"m1.{PAGE * page}" for page in range(MIX_PAGES)]
    tail = [f"t1.{rng.randint(PAGE + 1, max(PAGE + 1, videos))}" for _ in range(TAIL_CURSORS)]
    return mix + tail


def lua_script(path: Path, cursor_list: list[str], cookies: list[str]) -> Path:
    """A wrk script that walks the cursors and hands the cookies out in turn."""
    quoted = ", ".join(f'"{c}"' for c in cursor_list)
    jar = ", ".join(f'"{c}"' for c in cookies) or '""'
    path.write_text(
        f"""
local cursors = {{{quoted}}}
local cookies = {{{jar}}}
local n = 0
request = function()
  n = n + 1
  local headers = {{["HX-Request"] = "true"}}
  local cookie = cookies[(n % #cookies) + 1]
  if cookie ~= "" then headers["Cookie"] = cookie end
  local path = "/feed/next?cursor=" .. cursors[((n * 7) % #cursors) + 1]
  return wrk.format("GET", path, headers)
end
""",
        encoding="utf-8",
    )
    return path


def check_fragment(base: str, cookie: str) -> None:
    """One fragment by hand: it answers 200 with five cards, else the run stops."""
    request = urllib.request.Request(
        base + "/feed/next?cursor=m1.5", headers={"HX-Request": "true", "Cookie": cookie}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        html = response.read().decode()
    cards = html.count('<article class="nv-card')
    if cards != PAGE:
        raise LoadError(f"the fragment has {cards} cards, not {PAGE}: {html[:300]!r}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start what the run needs, sign the viewers in, measure, stop everything."""
    if shutil.which("wrk") is None:
        raise LoadError("wrk not found: apt-get install wrk")
    started = datetime.now(UTC)
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-bench-foryou-"))
        stack.callback(shutil.rmtree, workdir, True)
        args.settings = [f"accounts.login_attempts_per_minute={args.viewers + 10}", *args.settings]
        env = instance_env(args, stack, workdir)
        hello = stack.enter_context(serve(HELLO, ["bench.hello:app"], env, "/", workdir))
        app = [args.app, "--factory"]
        nichevid = stack.enter_context(serve("nichevid", app, env, "/healthz", workdir))
        print(f"signing {args.viewers} viewers in", file=sys.stderr, flush=True)
        # Generated users are user0000001, user0000002, ...
        cookies = [sign_in(nichevid.base, f"user{i:07d}") for i in range(1, args.viewers + 1)]
        check_fragment(nichevid.base, cookies[0])
        cursor_list = cursors(args.videos, args.seed)
        signed_in = lua_script(workdir / "signed-in.lua", cursor_list, cookies)
        anonymous = lua_script(workdir / "anonymous.lua", cursor_list, [])
        targets = [
            Target(HELLO, hello.base + "/"),
            Target("For You fragment, signed in", nichevid.base + "/", script=signed_in),
            Target("For You fragment, anonymous", nichevid.base + "/", script=anonymous),
        ]
        facts = machine()
        measure(targets, args.rounds, args.threads, args.connections, args.duration, args.warmup)
        facts["loadavg_after"] = os.getloadavg()
        facts["viewers"] = args.viewers
    return report(args, started, targets, facts, "python -m bench.foryou")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = load_parser("python -m bench.foryou", (__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--viewers", type=int, default=200, help="members signed in, whose cookies wrk uses"
    )
    args = parser.parse_args(argv)
    check_args(parser, args)
    if not 1 <= args.viewers <= min(args.users, 5000):
        parser.error("--viewers must be 1..5000 and no more than --users")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_and_save(args, run, args.label or f"foryou-{args.shape}")


if __name__ == "__main__":
    sys.exit(main())
