"""What a first visit to the feed transfers before the first video bytes.

    python -m bench.firstvisit                       # a demo instance, phone and desktop
    python -m bench.firstvisit --url http://127.0.0.1:8000

A fresh browser profile (Debian's Chromium, headless, no cache, no cookies) opens
``/`` and waits until the network is idle. Every response that is not video
(HTML, CSS, JavaScript, images, fonts...) is counted with its headers, as the
browser received it (compressed when the server compressed it). Video requests
are left out: the budget is what comes before the first video bytes. Posters of
every card on the first page are counted, not only the first one, so the figure
errs on the high side.

Without ``--url`` it starts its own instance on 127.0.0.1 (SQLite, local media),
seeds the demo content with ``nichevid demo`` and stops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
BUDGET_BYTES = 150_000


@dataclass(frozen=True)
class Transfer:
    """One response of the visit: what it was and the bytes it took on the wire."""

    url: str
    kind: str
    body: int
    headers: int

    @property
    def total(self) -> int:
        return self.body + self.headers


async def first_visit(browser: Any, url: str, viewport: dict[str, int]) -> list[Transfer]:
    """Open ``url`` in a fresh context; the non-video responses until the network is idle."""
    context = await browser.new_context(
        viewport=viewport, is_mobile=viewport["width"] < 500, has_touch=viewport["width"] < 500
    )
    page = await context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    try:
        await page.goto(url, wait_until="networkidle")
        transfers = []
        for request in finished:
            if request.resource_type == "media" or request.url.split("?")[0].endswith(".mp4"):
                continue
            sizes = await request.sizes()
            transfers.append(
                Transfer(
                    request.url,
                    request.resource_type,
                    sizes["responseBodySize"],
                    sizes["responseHeadersSize"],
                )
            )
        return transfers
    finally:
        await context.close()


def table(transfers: list[Transfer]) -> str:
    """A markdown table of the transfers by kind, with the total."""
    kinds: dict[str, list[Transfer]] = {}
    for transfer in transfers:
        kinds.setdefault(transfer.kind, []).append(transfer)
    lines = ["| kind | responses | bytes |", "|---|---:|---:|"]
    for kind, items in sorted(kinds.items()):
        lines.append(f"| {kind} | {len(items)} | {sum(t.total for t in items):,} |")
    lines.append(f"| **total** | {len(transfers)} | **{sum(t.total for t in transfers):,}** |")
    return "\n".join(lines)


def _start_demo(stack: ExitStack) -> str:
    """A demo instance on a free port of 127.0.0.1; it is stopped when ``stack`` closes."""
    from nichevid.testing.servers import free_port, stop_process

    data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nv-firstvisit-")))
    env = {"PATH": "/usr/bin:/bin", "NICHEVID_DATA_DIR": str(data_dir), "HOME": str(data_dir)}
    cli = [sys.executable, "-m", "nichevid.cli"]
    for step in (["migrate"], ["demo"]):
        print("$ nichevid " + " ".join(step), file=sys.stderr, flush=True)
        subprocess.run([*cli, *step], env=env, check=True, stdout=sys.stderr, timeout=600)
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack.callback(stop_process, server)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return url
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the demo instance did not start") from None
            time.sleep(0.2)


async def run(url: str) -> dict[str, list[Transfer]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            return {name: await first_visit(browser, url, vp) for name, vp in VIEWPORTS.items()}
        finally:
            await browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.firstvisit", description=__doc__)
    parser.add_argument("--url", help="an instance already running on 127.0.0.1")
    args = parser.parse_args(argv)
    if args.url and not args.url.startswith("http://127.0.0.1:"):
        parser.error("--url must be an instance on 127.0.0.1")
    with ExitStack() as stack:
        url = args.url or _start_demo(stack)
        found = asyncio.run(run(url + "/"))
    for name, transfers in found.items():
        total = sum(t.total for t in transfers)
        print(f"\n{name}: {total:,} bytes (budget {BUDGET_BYTES:,})\n\n{table(transfers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
