"""Plugin manager factory and hook-calling helpers.

There is no global plugin manager: :func:`make_plugin_manager` builds one per app,
so tests never leak registrations.

Environment switches:

* ``NICHEVID_LOAD_PLUGINS``: when set, a comma-separated allow-list; exactly these
  entry-point plugins are loaded, whatever the settings enable. The test fixtures
  set it to ``""`` (load none) unless a test names plugins.
* ``NICHEVID_EXTRA_PLUGINS``: comma-separated ``module`` or ``module:attribute`` names of
  plugin objects registered after the entry-point plugins, without packaging them
  (a worker subprocess in tests, a local experiment). A name that does not import
  stops start-up with a :class:`PluginError`.
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
    "nichevid.media.plugin",
    "nichevid.feed.plugin",
    "nichevid.social.plugin",
    # After social: its profile row comes before the grid of videos.
    "nichevid.playlists.plugin",
    "nichevid.downloads.plugin",
    "nichevid.safety.plugin",
    "nichevid.comments.plugin",
    "nichevid.captions.plugin",
    "nichevid.search.plugin",
    "nichevid.share.plugin",
    "nichevid.recommend.plugin",
    "nichevid.privacy.plugin",
    "nichevid.payments.plugin",
    "nichevid.studio.plugin",
    "nichevid.admin.plugin",
    "nichevid.default_payments",
)

# Picks the storage backend named in settings; registered with the defaults.
NAMED_STORAGE = "nichevid.default_storage.named"


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


class NichevidPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers the plugins start-up skipped, and why."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.skipped: dict[str, str] = {}


def _unknown_hooks(pm: pluggy.PluginManager, plugin: Any) -> list[str]:
    """Hooks ``plugin`` implements that no hookspec declares (typos, removed hooks)."""
    unknown = []
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.spec is None:
            impls = [i for i in caller.get_hookimpls() if i.plugin is plugin]
            if any(not i.optionalhook for i in impls):
                unknown.append(caller.name)
    return sorted(unknown)


def _load_entry_point(
    pm: pluggy.PluginManager, name: str, available: dict[str, EntryPoint]
) -> None:
    if name not in available:
        known = ", ".join(sorted(available)) or "none installed"
        raise PluginError(
            f"plugin {name!r} is enabled but not installed (installed: {known}); "
            "install it or remove it from [plugins] enabled"
        )
    try:
        plugin = available[name].load()
        pm.register(plugin, name=name)
    except Exception as exc:  # any import-time failure of third-party code
        raise PluginError(f"plugin {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    unknown = _unknown_hooks(pm, plugin)
    if unknown:
        pm.unregister(plugin)
        raise PluginError(
            f"plugin {name!r} implements hooks that do not exist: {', '.join(unknown)} "
            f"(is it written for another nichevid version?)"
        )


def make_plugin_manager(
    settings: Any,
    *,
    extra_plugins: Iterable[Any] = (),
    on_error: str | None = None,
) -> NichevidPluginManager:
    """Build a plugin manager: core hookspecs, default plugins, then enabled plugins.

    A fresh manager is built on every call, so registrations never leak between
    apps or tests. Plugins registered later are called first, so an enabled plugin
    answers before the ``trylast`` defaults.

    Args:
        settings: The instance settings; ``settings.plugins.enabled`` names the
            entry-point plugins to load, ``settings.plugins.on_error`` says whether a
            missing or broken one stops start-up (``refuse``) or is skipped with a
            warning (``skip``; its name is then blocked and kept in ``pm.skipped``).
        extra_plugins: Plugin objects registered directly (tests, embedding).
        on_error: Overrides ``settings.plugins.on_error`` (listings use ``skip``).

    Returns:
        The plugin manager.

    Raises:
        PluginError: When a plugin cannot be loaded and ``on_error`` is ``refuse``,
            or an extra plugin implements a hook that does not exist.
    """
    from nichevid import hookspecs

    pm = NichevidPluginManager()
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    from nichevid.default_storage import NamedStorage

    pm.register(NamedStorage(pm), name=NAMED_STORAGE)

    allow = os.environ.get("NICHEVID_LOAD_PLUGINS")
    wanted = (
        [n.strip() for n in allow.split(",") if n.strip()]
        if allow is not None
        else list(settings.plugins.enabled)
    )
    policy = on_error or settings.plugins.on_error
    available = installed_entry_points()
    for name in dict.fromkeys(wanted):
        try:
            _load_entry_point(pm, name, available)
        except PluginError as exc:
            if policy == "refuse":
                raise
            log.warning("skipping plugin: %s", exc)
            pm.skipped[name] = str(exc)
            pm.set_blocked(name)
    for plugin in extra_plugins:
        pm.register(plugin)
        unknown = _unknown_hooks(pm, plugin)
        if unknown:
            raise PluginError(
                f"plugin {pm.get_name(plugin)!r} implements hooks that do not exist: "
                f"{', '.join(unknown)}"
            )
    extra_specs = os.environ.get("NICHEVID_EXTRA_PLUGINS", "").split(",")
    for spec in filter(None, (s.strip() for s in extra_specs)):
        module_name, _, attr = spec.partition(":")
        try:
            extra: Any = importlib.import_module(module_name)
            if attr:
                extra = getattr(extra, attr)
        except Exception as exc:
            raise PluginError(
                f"NICHEVID_EXTRA_PLUGINS names {spec!r}, which failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        pm.register(extra, name=spec)

    if os.environ.get("NICHEVID_TRACE_HOOKS"):
        pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
        pm.enable_tracing()
    return pm


def plugin_infos(pm: pluggy.PluginManager, settings: Any) -> list[PluginInfo]:
    """Describe every built-in, installed and directly registered plugin, for listings.

    Args:
        pm: The manager built for ``settings``.
        settings: The instance settings.

    Returns:
        Built-in plugins first, then installed entry points by name, then plugin
        objects registered directly (tests, ``NICHEVID_EXTRA_PLUGINS``).
    """
    from nichevid import __version__

    registered = {name: plugin for name, plugin in pm.list_name_plugin() if plugin is not None}
    skipped: dict[str, str] = getattr(pm, "skipped", {})
    hooks_by_plugin = {
        name: sorted(caller.name for caller in (pm.get_hookcallers(plugin) or []))
        for name, plugin in registered.items()
    }
    infos = [
        PluginInfo(name, __version__, True, True, hooks_by_plugin.get(name, []))
        for name in DEFAULT_PLUGINS
    ]
    installed = installed_entry_points()
    for name, ep in sorted(installed.items()):
        info = PluginInfo(
            name,
            _entry_point_version(ep),
            name in registered,
            False,
            hooks_by_plugin.get(name, []),
            skipped.get(name, ""),
        )
        if name not in registered:
            try:
                module = ep.load()
                info.hooks = sorted(
                    getattr(getattr(module, attr), f"{PROJECT}_impl", {}).get("specname") or attr
                    for attr in dir(module)
                    if getattr(getattr(module, attr), f"{PROJECT}_impl", None) is not None
                )
            except Exception as exc:  # listing must survive a broken plugin
                info.error = info.error or f"{type(exc).__name__}: {exc}"
        infos.append(info)
    for name in registered:
        if name not in (*DEFAULT_PLUGINS, NAMED_STORAGE) and name not in installed:
            infos.append(PluginInfo(name, "local", True, False, hooks_by_plugin[name]))
    return infos


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def call_all(hook: Any, **kwargs: Any) -> list[Any]:
    """Call a hook and await any awaitable results; ``None`` answers are dropped."""
    results = [await _resolve(r) for r in hook(**kwargs)]
    return [r for r in results if r is not None]


async def call_first(hook: Any, **kwargs: Any) -> Any:
    """The first answer of a ``firstresult`` hook that is not ``None``, awaiting each.

    pluggy itself stops at the first ``async`` implementation (a coroutine is not
    ``None``), so an async plugin with no opinion would hide the plugins after it;
    here each implementation is called and awaited in pluggy's order until one answers.
    """
    for impl in reversed(hook.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        answer = await _resolve(
            impl.function(**{name: kwargs[name] for name in impl.argnames if name in kwargs})
        )
        if answer is not None:
            return answer
    return None


def _synchronous(result: Any, hook: Any) -> Any:
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise TypeError(
            f"a {hook.name} implementation returned an awaitable; registration hooks and "
            "page slots are collected while the app is built and must return values"
        )
    return result


def collect_lists(hook: Any, **kwargs: Any) -> list[Any]:
    """Flatten the lists returned by a synchronous ``register_*`` hook."""
    out: list[Any] = []
    for result in hook(**kwargs):
        if _synchronous(result, hook):
            out.extend(result)
    return out


def collect_mappings(hook: Any, **kwargs: Any) -> dict[str, Any]:
    """Merge the mappings returned by a synchronous ``register_*`` hook (later plugins lose)."""
    out: dict[str, Any] = {}
    for result in reversed(hook(**kwargs)):
        if _synchronous(result, hook):
            out.update(result)
    return out


def render_slot(pm: pluggy.PluginManager, slot: str, context: dict[str, Any]) -> str:
    """Join the HTML fragments plugins give for a page slot.

    A plugin that raises, or returns an awaitable, is logged and left out: one
    broken fragment never breaks the page.

    Args:
        pm: The plugin manager.
        slot: The slot name, e.g. ``head``.
        context: What the page passes (``request``, ``user``, ...).

    Returns:
        The fragments in plugin call order, concatenated.
    """
    parts: list[str] = []
    for impl in reversed(pm.hook.extra_slot.get_hookimpls()):
        args = {"slot": slot, "context": context}
        try:
            fragment = impl.function(**{k: v for k, v in args.items() if k in impl.argnames})
            fragment = _synchronous(fragment, pm.hook.extra_slot)
        except Exception:
            log.exception("plugin %s failed in extra_slot(%r)", impl.plugin_name, slot)
            continue
        if fragment:
            parts.append(str(fragment))
    return "".join(parts)


async def notify(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Fire an event hook: each implementation runs on its own; failures are logged."""
    await answers(pm, hook_name, **kwargs)


async def answers(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[Any]:
    """Every plugin's awaited answer that is not ``None``; a plugin that raises is logged
    and left out, so one broken plugin never breaks the request."""
    caller = getattr(pm.hook, hook_name)
    found: list[Any] = []
    for impl in reversed(caller.get_hookimpls()):
        args = {k: v for k, v in kwargs.items() if k in impl.argnames}
        try:
            answer = await _resolve(impl.function(**args))
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
            continue
        if answer is not None:
            found.append(answer)
    return found


async def gate(hook: Any, **kwargs: Any) -> str | None:
    """Ask a gate hook; return the first refusal reason, or ``None`` when all allow."""
    for reason in await call_all(hook, **kwargs):
        if reason:
            return str(reason)
    return None
