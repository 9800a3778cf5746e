"""Privacy as a plugin of the core: tables, jobs, pages, settings and the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import escape

from nichevid.i18n import gettext
from nichevid.plugins import hookimpl
from nichevid.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.privacy.piccolo_app"]


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid.privacy.settings import SECTION, PrivacySettings

    return {SECTION: PrivacySettings}


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.privacy.routes import (
        ConsentChoice,
        PolicyEditor,
        PolicyPages,
        PrivacySettingsPages,
    )

    return [PrivacySettingsPages, PolicyPages, PolicyEditor, ConsentChoice]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def register_jobs() -> list[Any]:
    from nichevid.jobs import Job
    from nichevid.privacy.exports import EXPORT_JOB, EXPORT_TRIES, run_export

    return [Job(EXPORT_JOB, run_export, max_tries=EXPORT_TRIES, timeout=3600.0, backoff=30.0)]


@hookimpl
def register_cron_jobs() -> list[Any]:
    from nichevid.jobs import CronJob
    from nichevid.privacy.deletion import PURGE_JOB, purge_job
    from nichevid.privacy.exports import EXPIRE_JOB, expire_exports
    from nichevid.privacy.retention import RETENTION_JOB, retention_job

    return [
        CronJob(EXPIRE_JOB, expire_exports, minute={5, 35}, timeout=600.0),
        CronJob(PURGE_JOB, purge_job, minute={25}, timeout=3600.0),
        CronJob(RETENTION_JOB, retention_job, hour={3}, minute={45}, timeout=3600.0),
    ]


@hookimpl
def register_cli_commands() -> list[Any]:
    from nichevid.privacy.cli import privacy_group

    return [privacy_group]


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    request = context.get("request")
    if slot == "body_end":
        return _consent_banner(request, context)
    if slot == "admin_menu":
        from nichevid.admin.menu import admin_links

        pages = gettext("Privacy policy and community guidelines")
        return admin_links(context, [("admin", "/admin/pages/privacy", pages)])
    if slot != "settings_menu" or context.get("user") is None:
        return None
    current = request is not None and request.scope["path"].startswith("/settings/privacy")
    mark = ' aria-current="page"' if current else ""
    return f'<a href="/settings/privacy"{mark}>{escape(gettext("Privacy"))}</a>'


def _consent_banner(request: Any, context: dict[str, Any]) -> str | None:
    """The banner for anonymous viewers, when the operator turned it on.

    Pages are shared among anonymous viewers (the page cache), so the banner is in
    every one of them, hidden; the page shows it only while no choice is stored.
    """
    from nichevid.privacy.consent import required

    if request is None or context.get("user") is not None:
        return None
    if not required(request.app.state.settings):
        return None
    env = request.app.template_engine.engine
    return str(env.get_template("privacy/_consent.html").render(request=request))
