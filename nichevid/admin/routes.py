"""``/admin``: the instance at a glance for moderators and admins, and links to every
operator page (plugins add theirs through the ``admin_menu`` slot)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from piccolo.query.functions.aggregate import Count

from nichevid import __version__
from nichevid.accounts import creators
from nichevid.accounts.guards import requires_role
from nichevid.accounts.services import ROLES, has_role
from nichevid.accounts.tables import TwoFactor, User
from nichevid.admin import activity
from nichevid.core.charts import stacked_bars
from nichevid.i18n import compact, gettext
from nichevid.media.tables import STATUSES, Video
from nichevid.replicas import ReplicaState, replicas_of
from nichevid.studio.figures import DEFAULT_DAYS, PERIODS, period_of


async def _count_by(table: Any, column: Any, keys: tuple[str, ...]) -> dict[str, int]:
    """Rows of ``table`` per value of ``column``, for every one of ``keys`` (0 when none)."""
    rows = await table.select(column, Count(table.id, alias="n")).group_by(column)
    found = {str(row[column._meta.name]): int(row["n"]) for row in rows}
    return {key: found.get(key, 0) for key in keys}


async def _two_factor_by_role() -> dict[str, int]:
    """Accounts per role whose login takes a code (``accounts.two_factor_roles``)."""
    rows = (
        await TwoFactor.select(TwoFactor.user.role, Count(TwoFactor.id, alias="n"))
        .where(TwoFactor.enabled_at.is_not_null())
        .group_by(TwoFactor.user.role)
    )
    return {str(row["user.role"]): int(row["n"]) for row in rows}


async def _replica_states(engine: Any) -> list[ReplicaState]:
    """The read replicas, checked now (``database.replica_urls``)."""
    replicas = replicas_of(engine)
    return await replicas.check_all() if replicas is not None else []


class AdminHome(Controller):
    """The operators' home page."""

    path = "/admin"
    guards = [requires_role("moderator")]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        """Version and shape, members and videos, jobs, and the admin pages."""
        resources = request.app.state.resources
        settings = resources.settings
        user = request.scope["user"]
        admin = has_role(user, "admin")
        context = {
            "user": user,
            "admin": admin,
            "version": __version__,
            "database": "PostgreSQL" if settings.database_url.startswith("postgres") else "SQLite",
            "redis": settings.uses_redis,
            "storage": resources.storage.describe(),
            "roles": await _count_by(User, User.role, ROLES),
            "two_factor": await _two_factor_by_role(),
            "videos": await _count_by(Video, Video.status, STATUSES),
            "jobs": await resources.jobs.counts() if admin else {},
            "replicas": await _replica_states(resources.engine) if admin else [],
            "creator_requests": await creators.waiting_count(),
        }
        return Template("admin/home.html", context=context)


class ActivityPage(Controller):
    """``/admin/activity``: how the instance is used over 7, 30 or 90 days (admins)."""

    path = "/admin/activity"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """Totals, views and members per day, and the most viewed videos."""
        error, status = "", 200
        try:
            days = period_of(request.query_params.get("days"))
        except ValueError as exc:
            error, status, days = str(exc), 400, DEFAULT_DAYS
        resources = request.app.state.resources
        fresh = request.query_params.get("fresh") == "1"
        found = await activity.activity(resources, days, fresh=fresh)
        views = [(d.day, {"views": d.views}) for d in found.daily]
        joined = [(d.day, {"members": d.new_members, "uploads": d.uploads}) for d in found.daily]
        context = {
            "user": request.scope["user"],
            "found": found,
            "periods": PERIODS,
            "error": error,
            "measured": datetime.fromtimestamp(found.made_at, UTC),
            "views_chart": stacked_bars(
                views, [("views", gettext("Views"))], gettext("Views per day"), compact
            ),
            "growth_chart": stacked_bars(
                joined,
                [("members", gettext("New members")), ("uploads", gettext("Uploads"))],
                gettext("New members and uploads per day"),
                compact,
            ),
        }
        return Template("admin/activity.html", context=context, status_code=status)
