"""The Piccolo configuration module (``PICCOLO_CONF=nichevid.piccolo_conf``).

Piccolo's migration machinery reads ``DB`` and ``APP_REGISTRY`` from this module.
:func:`nichevid.db.configure` sets both from the instance settings and plugins;
when nobody has (the ``piccolo`` developer CLI), they are built from the
environment with every installed app, so ``piccolo migrations new <app> --auto`` works.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

DB: Any = None
APP_REGISTRY: AppRegistry = AppRegistry(apps=[])
_BOOTSTRAPPING = False


def _bootstrap() -> None:
    from nichevid.db import configure, make_engine, piccolo_app_configs
    from nichevid.plugins import make_plugin_manager
    from nichevid.settings import load_settings

    settings = load_settings()
    pm = make_plugin_manager(settings)
    configure(make_engine(settings.database_url), piccolo_app_configs(pm))


if DB is None and not _BOOTSTRAPPING:
    _BOOTSTRAPPING = True
    _bootstrap()
