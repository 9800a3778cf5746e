"""What ``nichevid plugins`` reports: hooks, tables and routes of each plugin."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pluggy

from nichevid.plugins import PluginInfo
from nichevid.settings import Settings


def _route_paths(handlers: list[Any]) -> list[str]:
    from litestar import Router

    router = Router(path="/", route_handlers=handlers)
    return sorted({route.path for route in router.routes})


def describe(
    pm: pluggy.PluginManager, infos: list[PluginInfo], settings: Settings
) -> list[dict[str, Any]]:
    """Rows for every plugin: the :class:`PluginInfo` fields plus ``tables`` and ``routes``."""
    rows = []
    for info in infos:
        row = asdict(info)
        plugin = pm.get_plugin(info.name)
        tables: list[str] = []
        routes: list[str] = []
        if plugin is not None:
            apps = getattr(plugin, "register_piccolo_apps", None)
            for app in (apps() if apps else None) or []:
                tables.extend(t._meta.tablename for t in app.table_classes)
            reg = getattr(plugin, "register_routes", None)
            if reg is not None:
                routes = _route_paths(reg(settings=settings) or [])
        row["tables"] = sorted(tables)
        row["routes"] = routes
        rows.append(row)
    return rows
