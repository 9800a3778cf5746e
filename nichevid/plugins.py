"""Plugin manager factory and hook-calling helpers.

There is no global plugin manager: :func:`make_plugin_manager` builds one per app,
so tests never leak registrations.

Environment switches:

* ``NICHEVID_LOAD_PLUGINS``: when set, a comma-separated allow-list; exactly these
  entry-point plugins are loaded, whatever the settings enable. The test fixtures
  set it to ``""`` (load none) unless a test names plugins.
* ``NICHEVID_TRACE_HOOKS=1``: print every hook call and its result to stderr.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

PROJECT = "nichevid"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

log = logging.getLogger("nichevid.plugins")

# Built-in behaviour, registered like any other plugin.
DEFAULT_PLUGINS = (
    "nichevid.default_storage",
    "nichevid.core.plugin",
    "nichevid.accounts.plugin",
)


class PluginError(Exception):
    """An enabled plugin is missing or cannot be loaded; the message names it."""


@dataclass
class PluginInfo:
    """What ``nichevid plugins`` shows about one plugin."""

    name: str
    version: str
    enabled: bool
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    error: str = ""


def installed_entry_points() -> dict[str, EntryPoint]:
    """Entry points of the ``nichevid`` group, by name."""
    return {ep.name: ep for ep in entry_points(group=PROJECT)}


def _entry_point_version(ep: EntryPoint) -> str:
    dist = ep.dist
    return dist.version if dist is not None else "unknown"


def make_plugin_manager(
    settings: Any,
    *,
    extra_plugins: Iterable[Any] = (),
) -> pluggy.PluginManager:
    """Build a plugin manager: core hookspecs, default plugins, then enabled plugins.

    Args:
        settings: The instance settings; ``settings.plugins.enabled`` names the
            entry-point plugins to load, ``settings.plugins.on_error`` says whether a
            missing or broken one stops start-up (``refuse``) or is skipped with a warning.
        extra_plugins: Plugin objects registered directly (tests, embedding).

    Raises:
        PluginError: When a plugin cannot be loaded and ``on_error`` is ``refuse``.
    """
    from nichevid import hookspecs

    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)

    allow = os.environ.get("NICHEVID_LOAD_PLUGINS")
    wanted = (
        [n.strip() for n in allow.split(",") if n.strip()]
        if allow is not None
        else list(settings.plugins.enabled)
    )
    available = installed_entry_points()
    for name in wanted:
        try:
            if name not in available:
                known = ", ".join(sorted(available)) or "none installed"
                raise PluginError(
                    f"plugin {name!r} is enabled but not installed (installed: {known}); "
                    "install it or remove it from [plugins] enabled"
                )
            try:
                plugin = available[name].load()
            except Exception as exc:  # any import-time failure of third-party code
                raise PluginError(
                    f"plugin {name!r} failed to load: {type(exc).__name__}: {exc}"
                ) from exc
            pm.register(plugin, name=name)
        except PluginError as exc:
            if settings.plugins.on_error == "refuse":
                raise
            log.warning("skipping plugin: %s", exc)
    for plugin in extra_plugins:
        pm.register(plugin)

    if os.environ.get("NICHEVID_TRACE_HOOKS"):
        pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
        pm.enable_tracing()
    return pm


def plugin_infos(pm: pluggy.PluginManager, settings: Any) -> list[PluginInfo]:
    """Describe every installed and registered plugin, for listings."""
    registered = {name: plugin for name, plugin in pm.list_name_plugin()}
    infos: list[PluginInfo] = []
    hooks_by_plugin: dict[str, list[str]] = {}
    for name, plugin in registered.items():
        hooks_by_plugin[name] = sorted(impl.name for impl in (pm.get_hookcallers(plugin) or []))
    from nichevid import __version__

    for name in DEFAULT_PLUGINS:
        infos.append(PluginInfo(name, __version__, True, True, hooks_by_plugin.get(name, [])))
    for name, ep in sorted(installed_entry_points().items()):
        info = PluginInfo(
            name,
            _entry_point_version(ep),
            name in registered,
            False,
            hooks_by_plugin.get(name, []),
        )
        if name not in registered:
            try:
                module = ep.load()
                info.hooks = sorted(
                    attr
                    for attr in dir(module)
                    if getattr(getattr(module, attr), f"{PROJECT}_impl", None) is not None
                )
            except Exception as exc:  # listing must survive a broken plugin
                info.error = f"{type(exc).__name__}: {exc}"
        infos.append(info)
    return infos


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def call_all(hook: Any, **kwargs: Any) -> list[Any]:
    """Call a hook and await any awaitable results; ``None`` answers are dropped."""
    results = [await _resolve(r) for r in hook(**kwargs)]
    return [r for r in results if r is not None]


async def call_first(hook: Any, **kwargs: Any) -> Any:
    """Call a ``firstresult`` hook and await its answer."""
    return await _resolve(hook(**kwargs))


def collect_lists(hook: Any, **kwargs: Any) -> list[Any]:
    """Flatten the lists returned by a synchronous ``register_*`` hook."""
    out: list[Any] = []
    for result in hook(**kwargs):
        if result:
            out.extend(result)
    return out


def collect_mappings(hook: Any, **kwargs: Any) -> dict[str, Any]:
    """Merge the mappings returned by a synchronous ``register_*`` hook (later plugins lose)."""
    out: dict[str, Any] = {}
    for result in reversed(hook(**kwargs)):
        if result:
            out.update(result)
    return out


async def notify(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Fire an event hook: each implementation runs on its own; failures are logged."""
    caller = getattr(pm.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        args = {k: v for k, v in kwargs.items() if k in impl.argnames}
        try:
            await _resolve(impl.function(**args))
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)


async def gate(hook: Any, **kwargs: Any) -> str | None:
    """Ask a gate hook; return the first refusal reason, or ``None`` when all allow."""
    for reason in await call_all(hook, **kwargs):
        if reason:
            return str(reason)
    return None
