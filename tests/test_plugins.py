"""The plugin system: manager factory, defaults, entry points, switches, awaitables, settings."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

import nichevid.plugins
from nichevid.app import create_app, validate_plugin_settings
from nichevid.cli import main
from nichevid.plugins import (
    DEFAULT_PLUGINS,
    NAMED_STORAGE,
    PluginError,
    call_all,
    call_first,
    collect_lists,
    gate,
    hookimpl,
    make_plugin_manager,
    notify,
    render_slot,
)
from nichevid.settings import ConfigError, Secret, load_settings
from nichevid.testing.servers import no_settings_file

HERE = Path(__file__).parent
BUILTINS = {*DEFAULT_PLUGINS, NAMED_STORAGE}
SAMPLES = {
    "greeter": "nv_sample_plugins.greeter",
    "broken": "nv_sample_plugins.broken",
    "typo": "nv_sample_plugins.typo",
}


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> dict[str, EntryPoint]:
    """Pretend the sample plugins in tests/nv_sample_plugins are installed."""
    monkeypatch.syspath_prepend(str(HERE))
    eps = {
        name: EntryPoint(name=name, value=value, group="nichevid")
        for name, value in SAMPLES.items()
    }
    monkeypatch.setattr(nichevid.plugins, "installed_entry_points", lambda: dict(eps))
    # Entry-point loading follows the settings, not the test allow-list.
    monkeypatch.delenv("NICHEVID_LOAD_PLUGINS", raising=False)
    return eps


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Any]:
    def make(**overrides: Any) -> Any:
        data_dir = tmp_path / "data"
        data_dir.mkdir(exist_ok=True)
        return load_settings(
            no_settings_file(), environ={}, overrides={"data_dir": str(data_dir), **overrides}
        )

    return make


def names(pm: Any) -> set[str]:
    return {name for name, plugin in pm.list_name_plugin() if plugin is not None}


class Answers:
    """A test plugin answering the firstresult storage hook."""

    def __init__(self, storage: object) -> None:
        self.storage = storage

    @hookimpl
    def storage_backend(self, settings: Any) -> object:
        return self.storage


# ---------------------------------------------------------------- the factory


def test_each_manager_is_fresh(settings_for: Callable[..., Any]) -> None:
    settings = settings_for()
    plugin = Answers(object())
    first = make_plugin_manager(settings, extra_plugins=[plugin])
    second = make_plugin_manager(settings)
    assert first is not second
    assert first.is_registered(plugin)
    assert not second.is_registered(plugin)
    assert names(first) >= BUILTINS
    assert names(second) == BUILTINS


def test_defaults_answering_firstresult_hooks_are_trylast(settings_for: Callable[..., Any]) -> None:
    pm = make_plugin_manager(settings_for())
    for caller in vars(pm.hook).values():
        if not hasattr(caller, "spec") or caller.spec is None:
            continue
        if not caller.spec.opts.get("firstresult"):
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin_name in DEFAULT_PLUGINS:
                assert impl.trylast, f"{impl.plugin_name}.{caller.name} must be trylast"


async def test_a_plugin_replaces_a_default_just_by_existing(
    settings_for: Callable[..., Any],
) -> None:
    settings = settings_for()
    mine = object()
    pm = make_plugin_manager(settings, extra_plugins=[Answers(mine)])
    assert await call_first(pm.hook.storage_backend, settings=settings) is mine
    default = await call_first(
        make_plugin_manager(settings).hook.storage_backend, settings=settings
    )
    assert type(default).__name__ == "LocalStorage"


def test_extra_plugin_with_an_unknown_hook_is_refused(settings_for: Callable[..., Any]) -> None:
    class Typo:
        @hookimpl
        def register_rotues(self, settings: Any) -> list[Any]:
            return []

    with pytest.raises(PluginError, match="register_rotues"):
        make_plugin_manager(settings_for(), extra_plugins=[Typo()])


# ---------------------------------------------------------------- entry points


def test_enabled_entry_point_is_loaded(
    entry_points: dict[str, EntryPoint], settings_for: Callable[..., Any]
) -> None:
    pm = make_plugin_manager(settings_for(plugins={"enabled": ["greeter"]}))
    assert "greeter" in names(pm)
    assert "broken" not in names(pm), "installed is not enabled"


def test_installed_but_not_enabled_is_not_loaded(
    entry_points: dict[str, EntryPoint], settings_for: Callable[..., Any]
) -> None:
    assert names(make_plugin_manager(settings_for())) == BUILTINS


def test_load_plugins_allow_list_wins_over_settings(
    entry_points: dict[str, EntryPoint],
    settings_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_for(plugins={"enabled": ["broken"]})
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "greeter")
    assert "greeter" in names(make_plugin_manager(settings))
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "")
    assert names(make_plugin_manager(settings)) == BUILTINS


def test_enabled_but_not_installed_refuses(
    entry_points: dict[str, EntryPoint], settings_for: Callable[..., Any]
) -> None:
    settings = settings_for(plugins={"enabled": ["nichevid_nope"]})
    with pytest.raises(PluginError) as info:
        make_plugin_manager(settings)
    message = str(info.value)
    assert message.startswith("plugin 'nichevid_nope' is enabled but not installed")
    assert "broken, greeter, typo" in message
    with pytest.raises(PluginError, match="nichevid_nope"):
        create_app(settings)


def test_broken_plugin_refuses_naming_it(
    entry_points: dict[str, EntryPoint], settings_for: Callable[..., Any]
) -> None:
    settings = settings_for(plugins={"enabled": ["greeter", "broken"]})
    with pytest.raises(PluginError) as info:
        make_plugin_manager(settings)
    assert str(info.value) == (
        "plugin 'broken' failed to load: ModuleNotFoundError: "
        "No module named 'nichevid_module_that_does_not_exist'"
    )


def test_plugin_implementing_an_unknown_hook_refuses(
    entry_points: dict[str, EntryPoint], settings_for: Callable[..., Any]
) -> None:
    with pytest.raises(PluginError, match=r"plugin 'typo' implements hooks .*register_rotues"):
        make_plugin_manager(settings_for(plugins={"enabled": ["typo"]}))


def test_on_error_skip_logs_a_warning_and_goes_on(
    entry_points: dict[str, EntryPoint],
    settings_for: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(
        plugins={"enabled": ["broken", "nichevid_nope", "typo", "greeter"], "on_error": "skip"},
        plugin={"broken": {"anything": 1}},
    )
    with caplog.at_level(logging.WARNING, logger="nichevid.plugins"):
        pm = make_plugin_manager(settings)
    assert names(pm) == {*BUILTINS, "greeter"}
    assert set(pm.skipped) == {"broken", "nichevid_nope", "typo"}
    assert all(pm.is_blocked(name) for name in pm.skipped)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("skipping plugin: plugin 'broken' failed to load" in w for w in warnings)
    assert any("'nichevid_nope' is enabled but not installed" in w for w in warnings)
    # The section of a skipped plugin does not stop start-up either.
    validate_plugin_settings(settings, pm)


def test_cli_refuses_a_broken_plugin_with_one_line(
    entry_points: dict[str, EntryPoint], tmp_path: Path
) -> None:
    config = tmp_path / "nichevid.toml"
    config.write_text('[plugins]\nenabled = ["broken"]\n')
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "migrate"],
        env={"NICHEVID_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "error: plugin 'broken' failed to load: ModuleNotFoundError: "
        "No module named 'nichevid_module_that_does_not_exist'"
    ]


# ---------------------------------------------------------------- switches


def test_trace_hooks_prints_each_call(
    settings_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NICHEVID_TRACE_HOOKS", "1")
    pm = make_plugin_manager(settings_for())
    collect_lists(pm.hook.register_piccolo_apps)
    err = capsys.readouterr().err
    assert "register_piccolo_apps" in err
    assert "nichevid.core.piccolo_app" in err, "the result is printed too"


def test_no_trace_by_default(
    settings_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("NICHEVID_TRACE_HOOKS", raising=False)
    collect_lists(make_plugin_manager(settings_for()).hook.register_piccolo_apps)
    assert "register_piccolo_apps" not in capsys.readouterr().err


# ---------------------------------------------------------------- awaitables


class SyncGate:
    @hookimpl
    def signup_accept(self, username: str, email: str) -> str | None:
        return "no bots" if username.startswith("bot") else None


class AsyncGate:
    @hookimpl
    async def signup_accept(self, username: str, email: str) -> str | None:
        return "no example.com" if email.endswith("@example.com") else None


async def test_call_all_and_gate_await_results(settings_for: Callable[..., Any]) -> None:
    pm = make_plugin_manager(settings_for(), extra_plugins=[SyncGate(), AsyncGate()])
    answers = await call_all(pm.hook.signup_accept, username="bot1", email="a@example.com")
    assert sorted(answers) == ["no bots", "no example.com"]
    assert await gate(pm.hook.signup_accept, username="ann", email="a@example.com") == (
        "no example.com"
    )
    assert await gate(pm.hook.signup_accept, username="ann", email="a@example.org") is None


async def test_call_first_awaits_an_async_answer(settings_for: Callable[..., Any]) -> None:
    mine = object()

    class AsyncStorage:
        @hookimpl
        async def storage_backend(self, settings: Any) -> object:
            return mine

    settings = settings_for()
    pm = make_plugin_manager(settings, extra_plugins=[AsyncStorage()])
    assert await call_first(pm.hook.storage_backend, settings=settings) is mine


async def test_notify_awaits_and_isolates_failures(
    settings_for: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    class Failing:
        @hookimpl
        def user_created(self, user: Any) -> None:
            raise RuntimeError("plugin bug")

    class Async:
        @hookimpl
        async def user_created(self, user: Any) -> None:
            seen.append(f"async {user}")

    class Sync:
        @hookimpl
        def user_created(self, user: Any) -> None:
            seen.append(f"sync {user}")

    pm = make_plugin_manager(settings_for(), extra_plugins=[Sync(), Failing(), Async()])
    with caplog.at_level(logging.ERROR, logger="nichevid.plugins"):
        await notify(pm, "user_created", user="ann")
    assert sorted(seen) == ["async ann", "sync ann"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "failed in user_created" in errors[0].getMessage()
    assert errors[0].exc_info is not None


def test_registration_hooks_refuse_awaitables(settings_for: Callable[..., Any]) -> None:
    class AsyncRoutes:
        @hookimpl
        async def register_routes(self, settings: Any) -> list[Any]:
            return []

    pm = make_plugin_manager(settings_for(), extra_plugins=[AsyncRoutes()])
    with pytest.raises(TypeError, match="register_routes implementation returned an awaitable"):
        collect_lists(pm.hook.register_routes, settings=None)


def test_slots_skip_failing_and_async_plugins(
    settings_for: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    class Good:
        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
            return f"<i>{slot}</i>" if slot == "nav" else None

    class Bad:
        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str:
            raise RuntimeError("slot bug")

    class Async:
        @hookimpl
        async def extra_slot(self, slot: str, context: dict[str, Any]) -> str:
            return "<b>never</b>"

    pm = make_plugin_manager(settings_for(), extra_plugins=[Good(), Bad(), Async()])
    with caplog.at_level(logging.ERROR, logger="nichevid.plugins"):
        assert render_slot(pm, "nav", {}) == "<i>nav</i>"
    assert len([r for r in caplog.records if "extra_slot" in r.getMessage()]) == 2


# ---------------------------------------------------------------- [plugin.<name>] settings


class TipSettings(msgspec.Struct, kw_only=True):
    cut_percent: int = 10
    api_key: Secret = msgspec.field(default_factory=lambda: Secret(""))


class Tips:
    @hookimpl
    def register_settings(self) -> dict[str, Any]:
        return {"tips": TipSettings}


def test_plugin_section_is_validated_and_defaulted(
    settings_for: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NV_TEST_TIPS_KEY", "k-123")
    settings = settings_for(plugin={"tips": {"api_key": {"env": "NV_TEST_TIPS_KEY"}}})
    create_app(settings, plugins=[Tips()])
    assert settings.plugin["tips"]["cut_percent"] == 10
    assert settings.plugin["tips"]["api_key"].reveal() == "k-123"


def test_plugin_section_without_values_gets_defaults(settings_for: Callable[..., Any]) -> None:
    settings = settings_for()
    create_app(settings, plugins=[Tips()])
    assert settings.plugin["tips"]["cut_percent"] == 10


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"cut_prcent": 5}, "settings: unknown key `plugin.tips.cut_prcent`"),
        ({"cut_percent": "lots"}, "settings: `plugin.tips.cut_percent`: Expected `int`"),
    ],
)
def test_bad_plugin_section_stops_start_up(
    settings_for: Callable[..., Any], section: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        create_app(settings_for(plugin={"tips": section}), plugins=[Tips()])
    assert str(info.value).startswith(expected)


def test_section_no_plugin_reads_stops_start_up(settings_for: Callable[..., Any]) -> None:
    with pytest.raises(ConfigError) as info:
        create_app(settings_for(plugin={"gifts": {"cut_percent": 5}}))
    assert str(info.value) == (
        "[plugin.gifts] is configured but no enabled plugin reads it; "
        "enable that plugin or remove the section"
    )


# ---------------------------------------------------------------- nichevid plugins


def run_plugins(tmp_path: Path, *args: str, enabled: tuple[str, ...] = ()) -> Any:
    config = tmp_path / "nichevid.toml"
    config.write_text(f"[plugins]\nenabled = {json.dumps(list(enabled))}\n")
    (tmp_path / "data").mkdir(exist_ok=True)
    return CliRunner().invoke(
        main,
        ["--config", str(config), "plugins", *args],
        env={"NICHEVID_DATA_DIR": str(tmp_path / "data")},
        catch_exceptions=False,
    )


def test_plugins_json_lists_builtins_and_installed(
    entry_points: dict[str, EntryPoint], tmp_path: Path
) -> None:
    result = run_plugins(tmp_path, "--json", enabled=("greeter", "broken"))
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert list(rows)[: len(DEFAULT_PLUGINS)] == list(DEFAULT_PLUGINS)
    core = rows["nichevid.core.plugin"]
    assert core["builtin"]
    assert core["enabled"]
    assert "register_routes" in core["hooks"]
    assert "/healthz" in core["routes"]
    assert "nv_job" in core["tables"] or core["tables"], "the core owns tables"
    storage = rows["nichevid.default_storage"]
    assert "storage_backend" in storage["hooks"]
    greeter = rows["greeter"]
    assert greeter["enabled"]
    assert not greeter["builtin"]
    assert greeter["version"] == "unknown"
    assert greeter["hooks"] == [
        "register_routes",
        "register_settings",
        "register_static_dirs",
        "register_template_dirs",
    ]
    assert greeter["routes"] == ["/greet", "/greet/page"]
    assert greeter["tables"] == []
    broken = rows["broken"]
    assert not broken["enabled"]
    assert "ModuleNotFoundError" in broken["error"]
    typo = rows["typo"]
    assert not typo["enabled"]
    assert typo["error"] == ""
    assert typo["hooks"] == ["register_rotues"]


def test_plugins_text(entry_points: dict[str, EntryPoint], tmp_path: Path) -> None:
    result = run_plugins(tmp_path, enabled=("greeter",))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "nichevid.default_storage 0.1.0 [builtin]" in lines
    assert "greeter unknown [enabled]" in lines
    assert "typo unknown [disabled]" in lines
    assert "  routes: /greet, /greet/page" in lines
    assert any(line.startswith("broken unknown [disabled]") for line in lines)
    assert any(line.startswith("  error: ModuleNotFoundError") for line in lines)


def test_validated_plugin_section_is_listed_without_its_typed_copy(
    settings_for: Callable[..., Any],
) -> None:
    from nichevid.settings import redacted

    settings = settings_for(plugin={"tips": {"cut_percent": 5}})
    create_app(settings, plugins=[Tips()])
    create_app(settings, plugins=[Tips()])  # validating twice is harmless
    assert isinstance(settings.plugin["tips"]["_parsed"], TipSettings)
    assert redacted(settings)["plugin"]["tips"] == {"cut_percent": 5, "api_key": ""}


async def test_call_first_passes_over_async_plugins_with_no_opinion() -> None:
    import pluggy

    from nichevid.plugins import call_first

    spec = pluggy.HookspecMarker("demo_first")
    impl = pluggy.HookimplMarker("demo_first")

    class Spec:
        @spec(firstresult=True)
        def answer(self, question: str) -> Any:
            """Answer, or ``None``."""

    class Knows:
        @impl
        def answer(self, question: str) -> str:
            return f"yes to {question}"

    class NoOpinion:
        @impl
        async def answer(self, question: str) -> None:
            return None

    pm = pluggy.PluginManager("demo_first")
    pm.add_hookspecs(Spec)
    pm.register(Knows())
    pm.register(NoOpinion())  # called first: pluggy calls the last registered first
    assert await call_first(pm.hook.answer, question="tea") == "yes to tea"
    pm.unregister(name=pm.get_name(next(p for p in pm.get_plugins() if isinstance(p, Knows))))
    assert await call_first(pm.hook.answer, question="tea") is None
