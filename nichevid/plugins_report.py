"""What ``nichevid plugins`` reports: hooks, tables and routes of each plugin."""

from __future__ import annotations

import importlib
from dataclasses import asdict
from typing import Any

import pluggy

from nichevid.plugins import PluginInfo
from nichevid.settings import Settings


def _route_paths(handlers: list[Any]) -> list[str]:
    from litestar import Router

    router = Router(path="/", route_handlers=handlers)
    return sorted({route.path for route in router.routes})


def _answer(pm: pluggy.PluginManager, hook_name: str, plugin: object, **kwargs: Any) -> Any:
    """What one plugin answers to one hook (``None`` when it does not implement it)."""
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        if impl.plugin is plugin:
            return impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
    return None


def _tables(app_modules: list[str]) -> list[str]:
    tables: list[str] = []
    for dotted in app_modules:
        config = importlib.import_module(dotted).APP_CONFIG
        tables.extend(table._meta.tablename for table in config.table_classes)
    return tables


def describe(
    pm: pluggy.PluginManager, infos: list[PluginInfo], settings: Settings
) -> list[dict[str, Any]]:
    """Rows for every plugin: the :class:`PluginInfo` fields plus ``tables`` and ``routes``.

    Args:
        pm: The plugin manager the infos were taken from.
        infos: What :func:`nichevid.plugins.plugin_infos` found.
        settings: The instance settings (``register_routes`` receives them).

    Returns:
        One dict per plugin, ready for JSON.
    """
    rows = []
    for info in infos:
        row = asdict(info)
        plugin = pm.get_plugin(info.name)
        tables: list[str] = []
        routes: list[str] = []
        if plugin is not None:
            try:
                tables = _tables(_answer(pm, "register_piccolo_apps", plugin) or [])
                routes = _route_paths(
                    _answer(pm, "register_routes", plugin, settings=settings) or []
                )
            except Exception as exc:  # a listing survives a plugin that fails to describe itself
                row["error"] = row["error"] or f"{type(exc).__name__}: {exc}"
        row["tables"] = sorted(tables)
        row["routes"] = routes
        rows.append(row)
    return rows
