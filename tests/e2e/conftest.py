"""Browser tests: a real ``nichevid serve`` (and, in the production shape, a real
``nichevid worker``) on 127.0.0.1, driven by Debian's Chromium through Playwright.

Screenshots go to ``test-artifacts/`` so a failed run can be looked at.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe
from nichevid.testing import shape
from nichevid.testing.servers import free_port, instance_env, stop_process

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# One folder per shape: both shapes may run at once (./dev.sh test).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / shape()
# The password of the people an instance of its own is made with.
PASSWORD = "correct horse battery staple"


@dataclass
class LiveServer:
    """A running instance: its base URL and environment (for CLI calls against it)."""

    url: str
    env: dict[str, str]
    data_dir: Path

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``nichevid ARGS`` against this instance's settings."""
        return subprocess.run(
            [sys.executable, "-m", "nichevid.cli", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def run_instance(
    services: dict[str, str], data_dir: Path, name: str, redis_db: int, **settings: str
) -> Iterator[LiveServer]:
    """Migrate, then run ``nichevid serve`` (and in the production shape ``nichevid worker``)
    on a free port with a database of its own; ``settings`` are extra ``NICHEVID_*``
    variables. The server log is copied to ``test-artifacts/<name>-server.log``."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    env = instance_env(services, data_dir, name, redis_db=redis_db)
    env.update(settings)
    port = free_port()
    migrate = subprocess.run(
        [sys.executable, "-m", "nichevid.cli", "migrate"], env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    logs = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed below
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "nichevid.cli", "serve", "--no-migrate", "--port", str(port)],
            env=env,
            stdout=logs,
            stderr=subprocess.STDOUT,
        )
    ]
    if "NICHEVID_REDIS_URL" in env:
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "nichevid.cli", "worker"],
                env=env,
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/healthz", processes[0])
        yield LiveServer(url, env, data_dir)
    finally:
        for process in reversed(processes):
            stop_process(process)
        logs.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / "server.log", ARTIFACTS / f"{name}-server.log")


@pytest.fixture(scope="session")
def live_server(
    nv_services: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """``nichevid serve`` in its own process on a free port, with a database of its own.

    Its For You order is built once and kept for the session: tests that read the feed's
    order (which cards come first, what the next batch holds) get the same order however
    long the tests before them took.
    """
    with run_instance(
        nv_services,
        tmp_path_factory.mktemp("e2e-data"),
        "e2e",
        1,
        NICHEVID_PLUGIN__FEED__FORYOU_REFRESH_SECONDS="86400",
    ) as server:
        yield server


async def shot(page: Any, request: pytest.FixtureRequest, label: str) -> None:
    """Keep a screenshot of ``page`` now, named after the test and ``label``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"))


async def db_rows(server: LiveServer, query: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of ``query`` (``?`` placeholders) read straight from the server's database."""
    url = server.env.get("NICHEVID_DATABASE_URL")
    if url:
        import asyncpg

        parts = query.split("?")
        numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
        conn = await asyncpg.connect(url)
        try:
            return [dict(r) for r in await conn.fetch(numbered, *params)]
        finally:
            await conn.close()
    with sqlite3.connect(server.data_dir / "nichevid.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(query, params).fetchall()]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """Headless Debian Chromium (never a downloaded browser)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        instance = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        await instance.close()


async def _page(browser: Any, request: pytest.FixtureRequest, viewport: dict[str, int]) -> Any:
    context = await browser.new_context(
        viewport=viewport,
        has_touch=viewport is PHONE,
        is_mobile=viewport is PHONE,
        locale="en-US",
    )
    page = await context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


async def _finish(page: Any, request: pytest.FixtureRequest, label: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=False)
    await page.context.close()


@pytest.fixture
async def phone_page(browser: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A page in a 390x844 touch viewport; a screenshot is kept after the test."""
    page = await _page(browser, request, PHONE)
    yield page
    await _finish(page, request, "phone")


@pytest.fixture
async def desktop_page(browser: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A page in a 1280x800 desktop viewport; a screenshot is kept after the test."""
    page = await _page(browser, request, DESKTOP)
    yield page
    await _finish(page, request, "desktop")


async def slug_of(page: Any, url: str, word: str) -> str:
    """The id of the first open video whose caption or hashtags hold ``word``."""
    response = await page.request.get(f"{url}/api/search?type=videos&q={word}")
    videos = json.loads(await response.text())["videos"]
    assert videos, f"no demo video matches {word!r}"
    return str(videos[0]["id"])


async def log_in(page: Any, url: str, username: str, password: str) -> str:
    """Sign in through the form; return the CSRF token scripts send as ``x-csrftoken``."""
    await page.goto(url + "/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("form button[type=submit]")
    await page.wait_for_url(url + "/")
    cookies = await page.context.cookies()
    return str(next(c["value"] for c in cookies if c["name"] == "nv_csrf"))


async def upload_clip(page: Any, url: str, csrf: str, clip: Path, caption: str) -> str:
    """Upload ``clip`` through the JSON API with the page's session; wait until it plays."""
    created = await page.request.post(
        f"{url}/api/videos/?caption={urllib.parse.quote(caption)}&filename=clip.mp4",
        data=clip.read_bytes(),
        headers={"x-csrftoken": csrf, "content-type": "application/octet-stream"},
    )
    assert created.status == 201, await created.text()
    slug = str(json.loads(await created.text())["id"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        document = json.loads(await (await page.request.get(f"{url}/api/videos/{slug}")).text())
        if document["status"] == "ready" and document["renditions"]:
            return slug
        assert document["status"] != "failed", document
        await asyncio.sleep(0.5)
    raise AssertionError(f"video {slug} was not ready in time")


@contextmanager
def instance_with_people(
    services: dict[str, str],
    data_dir: Path,
    name: str,
    redis_db: int,
    people: dict[str, str],
    **settings: str,
) -> Iterator[LiveServer]:
    """:func:`run_instance`, with ``people`` (``{username: role}``) made on it, each with
    :data:`PASSWORD`."""
    with run_instance(services, data_dir, name, redis_db, **settings) as server:
        for username, role in people.items():
            made = server.cli(
                "user", "create", username, "--role", role, "--password-stdin",
                stdin=PASSWORD + "\n",
            )  # fmt: skip
            assert made.returncode == 0, made.stdout + made.stderr
        yield server


def make_clip(directory: Path, *, sound: bool = False) -> Path:
    """A 2-second 360x640 H.264 clip (with a tone when ``sound``) in ``directory``."""
    path = directory / "clip.mp4"
    audio = ["-f", "lavfi", "-i", "sine=frequency=262:duration=2", "-c:a", "aac", "-shortest"]
    command = [
        ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25:duration=2",
        *(audio if sound else []),
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path.as_posix(),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return path


@asynccontextmanager
async def people_pages(browser: Any, url: str) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await make("fan", PHONE, reduced=True, then="/gifts")``: a page of that person's own
    (a browser context each), signed in with :data:`PASSWORD` and on ``then``; the
    contexts close on leaving."""
    contexts: list[Any] = []

    async def make(
        name: str, viewport: dict[str, int] = DESKTOP, reduced: bool = False, then: str = "/"
    ) -> Any:
        context = await browser.new_context(
            viewport=viewport,
            locale="en-US",
            reduced_motion="reduce" if reduced else "no-preference",
        )
        contexts.append(context)
        page = await context.new_page()
        await page.goto(f"{url}/login?next={then}")
        await page.fill("#username", name)
        await page.fill("#password", PASSWORD)
        await page.click("main form button[type=submit]")
        await page.wait_for_url(url + then)
        return page

    try:
        yield make
    finally:
        for context in contexts:
            await context.close()
