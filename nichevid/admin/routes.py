"""``/admin``: the instance at a glance for moderators and admins, and links to every
operator page (plugins add theirs through the ``admin_menu`` slot)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from piccolo.query.functions.aggregate import Count

from nichevid import __version__
from nichevid.accounts.guards import requires_role
from nichevid.accounts.services import ROLES, has_role
from nichevid.accounts.tables import TwoFactor, User
from nichevid.media.tables import STATUSES, Video


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
        }
        return Template("admin/home.html", context=context)
