"""The core as a plugin: its tables, health and metrics routes, and `nichevid backup`."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.core.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.core.installable import InstallableController
    from nichevid.core.routes import HealthController, MetricsController

    return [HealthController, MetricsController, InstallableController]


@hookimpl
def register_middleware(settings: Settings) -> list[Any]:
    from litestar.plugins.prometheus import PrometheusConfig

    config = PrometheusConfig(
        app_name="nichevid",
        prefix="nichevid",
        group_path=True,
        exclude=["/metrics", "/static"],
    )
    return [config.middleware]


@hookimpl
def register_cron_jobs() -> list[Any]:
    from nichevid.backup import JOB, nightly_job
    from nichevid.jobs import CronJob

    return [CronJob(JOB, nightly_job, hour={3}, minute={17}, timeout=3600.0)]


@hookimpl
def register_cli_commands() -> list[Any]:
    """``nichevid backup``."""
    from nichevid.backup import backup_command

    return [backup_command]
