"""One test per core hook, each checking the hook's effect through a running app.

``tests/test_plugin_docs.py`` requires a ``test_hook_<name>`` test for every hook.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar, Request, get
from litestar.types import ASGIApp, Receive, Scope, Send

from nichevid.app import create_app
from nichevid.cli import main
from nichevid.default_storage import LocalStorage
from nichevid.jobs import CronJob, Job
from nichevid.plugins import hookimpl
from nichevid.settings import ConfigError
from nichevid.testing import running

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from nv_sample_plugins import greeter  # noqa: E402


@contextlib.asynccontextmanager
async def client_for(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client on ``app`` with its lifespan running (for apps built with custom settings)."""
    from nichevid.db import clear_tables

    async with running(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:8000"
            ) as client:
                yield client
        finally:
            await clear_tables(app.state.resources.app_configs)
            if app.state.resources.redis is not None:
                await app.state.resources.redis.flushdb()


# ---------------------------------------------------------------- registration


@get("/hooks/ping", sync_to_thread=False)
def ping(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Echo what the app knows, so tests can see plugin effects."""
    state = request.app.state
    return {"pong": True, "lifespan": state.get("hooks_lifespan"), "settings": state.get("x")}


class Routes:
    @hookimpl
    def register_routes(self, settings: Any) -> list[Any]:
        return [ping]


@pytest.fixture
def with_routes(nv_plugins: list[Any]) -> None:
    nv_plugins.append(Routes())


async def test_hook_register_routes(with_routes: None, nv_client: Any) -> None:
    response = await nv_client.get("/hooks/ping")
    assert response.status_code == 200
    assert response.json()["pong"] is True
    assert "/hooks/ping" in (await nv_client.get("/schema/openapi.json")).json()["paths"]


class Notes:
    @hookimpl
    def register_piccolo_apps(self) -> list[str]:
        return ["nv_sample_plugins.notes.piccolo_app"]


@pytest.mark.usefixtures("_nv_migrated")
async def test_hook_register_piccolo_apps(nv_settings: Any) -> None:
    from nv_sample_plugins.notes.tables import Note

    from nichevid.db import migrate

    app = create_app(nv_settings, plugins=[Notes()])
    async with client_for(app):
        resources = app.state.resources
        assert "nv_sample_notes" in [config.app_name for config in resources.app_configs]
        assert Note._meta.db is resources.engine, "plugin tables are bound at start-up"
        await migrate(resources.engine, resources.app_configs)
        await migrate(resources.engine, resources.app_configs)  # idempotent
        await Note(text="from a plugin table").save().run()
        rows = await Note.select(Note.text).run()
    assert rows == [{"text": "from a plugin table"}]


async def write_line(ctx: dict[str, Any], path: str, text: str) -> None:
    """A job: append ``text`` to ``path``."""
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(f"{text}\n")


class Jobs:
    def __init__(self, path: Path) -> None:
        self.path = str(path)

    @hookimpl
    def register_jobs(self) -> list[Job]:
        return [Job("hooks.write_line", write_line, max_tries=1, timeout=10)]

    @hookimpl
    def register_cron_jobs(self) -> list[CronJob]:
        async def tick(ctx: dict[str, Any]) -> None:
            await write_line(ctx, self.path, "cron ran")

        return [CronJob("hooks.tick", tick, run_at_startup=True, timeout=10)]


@pytest.fixture
def job_out(tmp_path: Path, nv_plugins: list[Any]) -> Path:
    path = tmp_path / "jobs.txt"
    nv_plugins.append(Jobs(path))
    return path


async def test_hook_register_jobs(job_out: Path, nv_resources: Any, nv_run_jobs: Any) -> None:
    assert await nv_resources.jobs.enqueue(
        "hooks.write_line", job_id="hooks-1", path=str(job_out), text="job ran"
    )
    await nv_run_jobs()
    assert "job ran" in job_out.read_text().splitlines()


async def test_hook_register_cron_jobs(job_out: Path, nv_resources: Any, nv_run_jobs: Any) -> None:
    import asyncio

    names = sorted(c.name for c in nv_resources.jobs.registry.crons)
    assert names == [
        "core.backup",
        "hooks.tick",
        "media.expire_uploads",
        "media.publish_scheduled",
        "payments.reconcile",
        "privacy.expire_exports",
        "privacy.purge_due",
        "privacy.watch_retention",
        "recommend.train",
        "social.digest",
    ]
    async with asyncio.timeout(20):
        while not (job_out.exists() and "cron ran" in job_out.read_text()):
            await nv_run_jobs(limit=5)
            await asyncio.sleep(0.05)


class MemoryStorage(LocalStorage):
    """Local disk under a folder of its own; its check names it once ``broken`` (after
    start-up, which checks the storage too)."""

    name = "memory"
    broken = False

    async def check(self) -> None:
        if self.broken:
            raise OSError(f"{self.name} storage check ran")


class StorageBackends:
    @hookimpl
    def register_storage_backends(self) -> dict[str, Any]:
        return {"elsewhere": lambda settings: MemoryStorage(settings.data_dir / "elsewhere")}


@pytest.mark.usefixtures("_nv_migrated")
async def test_hook_register_storage_backends(nv_settings_factory: Callable[..., Any]) -> None:
    settings = nv_settings_factory(storage={"backend": "elsewhere"})
    app = create_app(settings, plugins=[StorageBackends()])
    async with client_for(app) as client:
        storage = app.state.resources.storage
        storage.broken = True
        readiness = (await client.get("/readyz")).json()
    assert isinstance(storage, MemoryStorage)
    assert storage.root == (settings.data_dir / "elsewhere").resolve()
    assert readiness["checks"]["storage"]["error"] == "OSError: memory storage check ran"
    with pytest.raises(ConfigError, match=r"storage.backend 'nowhere' is not registered"):
        create_app(nv_settings_factory(storage={"backend": "nowhere"}), plugins=[StorageBackends()])


class SettingsRoute:
    @hookimpl
    def register_settings(self) -> dict[str, Any]:
        return {"greeter": greeter.GreeterSettings}

    @hookimpl
    def register_routes(self, settings: Any) -> list[Any]:
        @get("/hooks/greeting", sync_to_thread=False)
        def greeting() -> dict[str, Any]:
            section = settings.plugin["greeter"]
            return {"text": section["greeting"] * section["times"]}

        return [greeting]


@pytest.mark.usefixtures("_nv_migrated")
async def test_hook_register_settings(nv_settings_factory: Callable[..., Any]) -> None:
    settings = nv_settings_factory(plugin={"greeter": {"greeting": "hi ", "times": 2}})
    app = create_app(settings, plugins=[SettingsRoute()])
    async with client_for(app) as client:
        assert (await client.get("/hooks/greeting")).json() == {"text": "hi hi "}
    with pytest.raises(ConfigError, match=r"unknown key `plugin\.greeter\.tmies`"):
        create_app(nv_settings_factory(plugin={"greeter": {"tmies": 2}}), plugins=[SettingsRoute()])


@pytest.fixture
def with_greeter(nv_plugins: list[Any]) -> None:
    nv_plugins.append(greeter)


async def test_hook_register_template_dirs(with_greeter: None, nv_client: Any) -> None:
    response = await nv_client.get("/greet/page")
    assert response.status_code == 200, response.text
    assert '<p id="greeting">plugin says hello world' in response.text
    assert "<nav" in response.text, "the plugin page extends the core base.html"


async def test_hook_register_static_dirs(with_greeter: None, nv_client: Any) -> None:
    response = await nv_client.get("/static/plugins/greeter/hello.txt")
    assert response.status_code == 200
    assert response.text == "plugin static file\n"
    assert (await nv_client.get("/static/plugins/greeter/../greeter.py")).status_code == 404


class Lifespan:
    def __init__(self) -> None:
        self.events: list[str] = []

    @hookimpl
    def register_lifespan(self) -> list[Any]:
        @contextlib.asynccontextmanager
        async def client(app: Litestar) -> AsyncIterator[None]:
            assert app.state.resources.engine is not None, "core resources come first"
            app.state.hooks_lifespan = "open"
            self.events.append("enter")
            yield
            self.events.append("exit")

        return [client]


@pytest.mark.usefixtures("_nv_migrated")
async def test_hook_register_lifespan(nv_settings: Any) -> None:
    plugin = Lifespan()
    app = create_app(nv_settings, plugins=[plugin, Routes()])
    async with client_for(app) as client:
        assert (await client.get("/hooks/ping")).json()["lifespan"] == "open"
        assert plugin.events == ["enter"]
    assert plugin.events == ["enter", "exit"]


class StampMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def stamped(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-hooks-middleware", b"yes"))
            await send(message)

        await self.app(scope, receive, stamped)


class Middleware:
    @hookimpl
    def register_middleware(self, settings: Any) -> list[Any]:
        return [StampMiddleware]


async def test_hook_register_middleware(nv_plugins: list[Any], nv_settings: Any) -> None:
    nv_plugins.append(Middleware())
    app = create_app(nv_settings, plugins=nv_plugins)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/healthz")
    assert response.headers["x-hooks-middleware"] == "yes"


def test_hook_register_cli_commands(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    env = {
        "NICHEVID_EXTRA_PLUGINS": "nv_sample_plugins.hello_cli",
        "NICHEVID_DATA_DIR": str(tmp_path / "data"),
        "NICHEVID_CONFIG": None,
    }
    runner = CliRunner()
    listing = runner.invoke(main, ["--help"], env=env, catch_exceptions=False)
    assert listing.exit_code == 0, listing.output
    assert "hello-plugin" in listing.stdout
    result = runner.invoke(main, ["hello-plugin", "ann"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello ann from a plugin\n"
    plain = runner.invoke(main, ["--help"], env={**env, "NICHEVID_EXTRA_PLUGINS": ""})
    assert "hello-plugin" not in plain.stdout


class Readiness:
    def __init__(self, fail: bool) -> None:
        self.fail = fail

    @hookimpl
    def register_readiness_checks(self) -> dict[str, Any]:
        async def payments(app: Litestar) -> None:
            assert app.state.resources is not None
            if self.fail:
                raise ConnectionError("payment provider unreachable")

        return {"payments": payments}


@pytest.mark.parametrize("fail", [False, True])
@pytest.mark.usefixtures("_nv_migrated")
async def test_hook_register_readiness_checks(
    nv_plugins: list[Any], nv_settings: Any, fail: bool
) -> None:
    app = create_app(nv_settings, plugins=[Readiness(fail)])
    async with client_for(app) as client:
        response = await client.get("/readyz")
    check = response.json()["checks"]["payments"]
    if fail:
        assert response.status_code == 503
        assert check == {"ok": False, "error": "ConnectionError: payment provider unreachable"}
    else:
        assert response.status_code == 200
        assert check["ok"] is True


# ---------------------------------------------------------------- who answers


class OwnStorage:
    @hookimpl
    def storage_backend(self, settings: Any) -> Any:
        return MemoryStorage(settings.data_dir / "own")


@pytest.mark.usefixtures("_nv_migrated")
async def test_hook_storage_backend(nv_plugins: list[Any], nv_settings: Any) -> None:
    app = create_app(nv_settings, plugins=[OwnStorage()])
    async with client_for(app) as client:
        storage = app.state.resources.storage
        storage.broken = True
        response = await client.get("/readyz")
    assert isinstance(storage, MemoryStorage), "a plugin answer beats the local default"
    assert storage.root == (nv_settings.data_dir / "own").resolve()
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["error"] == "OSError: memory storage check ran"


class BrokenStorage:
    @hookimpl
    def storage_backend(self, settings: Any) -> Any:
        storage = MemoryStorage(settings.data_dir / "own")
        storage.broken = True
        return storage


@pytest.mark.usefixtures("_nv_migrated")
async def test_a_storage_failing_its_check_stops_start_up(nv_settings: Any) -> None:
    from nichevid.runtime import ResourceError
    from nichevid.testing import running

    app = create_app(nv_settings, plugins=[BrokenStorage()])
    with pytest.raises(
        ResourceError, match=r"^the memory media storage cannot be used: OSError: memory storage"
    ):
        async with running(app):
            pass


# ---------------------------------------------------------------- gates and events

PASSWORD = "correct horse battery staple 42"


class NoBots:
    @hookimpl
    async def signup_accept(self, username: str, email: str) -> str | None:
        return "Robots may not sign up." if "bot" in username else None


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def user_created(self, user: Any) -> None:
        self.seen.append(f"created {user.username}")

    @hookimpl
    async def user_logged_in(self, user: Any) -> None:
        self.seen.append(f"logged in {user.username}")


class Crashing:
    @hookimpl
    def user_created(self, user: Any) -> None:
        raise RuntimeError("event plugin bug")

    @hookimpl
    def user_logged_in(self, user: Any) -> None:
        raise RuntimeError("event plugin bug")


async def test_hook_signup_accept(nv_plugins: list[Any], nv_resources: Any) -> None:
    from nichevid.accounts.services import AccountError, create_user, get_user_by_username

    pm = nv_resources.pm
    pm.register(NoBots())
    with pytest.raises(AccountError, match=r"Robots may not sign up\."):
        await create_user(
            nv_resources.settings, pm, username="spambot", email="b@example.org", password=PASSWORD
        )
    assert await get_user_by_username("spambot") is None
    user = await create_user(
        nv_resources.settings, pm, username="ann", email="ann@example.org", password=PASSWORD
    )
    assert user.username == "ann"


async def test_hook_user_created(nv_resources: Any, caplog: pytest.LogCaptureFixture) -> None:
    from nichevid.accounts.services import create_user, get_user_by_username

    recorder = Recorder()
    nv_resources.pm.register(Crashing())
    nv_resources.pm.register(recorder)
    await create_user(
        nv_resources.settings,
        nv_resources.pm,
        username="bea",
        email="bea@example.org",
        password=PASSWORD,
    )
    assert recorder.seen == ["created bea"]
    assert await get_user_by_username("bea") is not None, "a failing event plugin breaks nothing"
    assert any("failed in user_created" in r.getMessage() for r in caplog.records)


async def test_hook_user_logged_in(nv_resources: Any) -> None:
    from nichevid.accounts.services import authenticate, create_user

    recorder = Recorder()
    nv_resources.pm.register(Crashing())
    nv_resources.pm.register(recorder)
    await create_user(
        nv_resources.settings,
        nv_resources.pm,
        username="cid",
        email="cid@example.org",
        password=PASSWORD,
    )
    assert await authenticate(nv_resources.pm, "cid", "wrong password 123") is None
    assert recorder.seen == ["created cid"]
    user = await authenticate(nv_resources.pm, "cid", PASSWORD)
    assert user is not None
    assert user.username == "cid"
    assert recorder.seen == ["created cid", "logged in cid"]


# ---------------------------------------------------------------- page slots


class HeadSlot:
    @hookimpl
    def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
        if slot == "head":
            return '<meta name="hooks-test" content="head slot">'
        if slot == "nav":
            return f"<span id='hooks-nav'>{bool(context.get('request'))}</span>"
        return None


@pytest.mark.usefixtures("_nv_migrated")
async def test_hook_extra_slot(nv_plugins: list[Any], nv_settings: Any) -> None:
    app = create_app(nv_settings, plugins=[greeter, HeadSlot()])
    async with client_for(app) as client:
        response = await client.get("/greet/page")
    assert response.status_code == 200, response.text
    head = response.text.split("</head>")[0]
    assert '<meta name="hooks-test" content="head slot">' in head
    assert "<span id='hooks-nav'>True</span>" in response.text, "slots receive the request"
