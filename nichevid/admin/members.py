"""``/admin/members``: find members, change their role or turn accounts off, and decide
requests to become a creator.

Moderators see every member (without e-mail addresses), make members creators and
decide requests; admins also see addresses, give any role and turn accounts off and
on. Nobody changes their own account here, so no admin locks themself out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST
from piccolo.query.functions.aggregate import Count

from nichevid.accounts import creators
from nichevid.accounts.guards import requires_role
from nichevid.accounts.services import ROLES, has_role
from nichevid.accounts.tables import InvitationUse, User
from nichevid.accounts.users import set_active, set_role
from nichevid.accounts.web import see_other, text_field
from nichevid.db import is_sqlite
from nichevid.i18n import gettext
from nichevid.media.tables import Video

PER_PAGE = 50
# What a moderator may change: between these roles only.
MODERATOR_ROLES = ("member", "creator")
QUERY_LENGTH = 64


@dataclass(frozen=True)
class Member:
    """One row of the members list."""

    username: str
    display_name: str
    email: str
    role: str
    active: bool
    joined: datetime
    videos: int
    invited_by: str = ""  # who made the invitation they signed up with


async def find(query: str, role: str, page: int) -> tuple[list[Member], bool]:
    """Members matching ``query`` (name or e-mail) and ``role``, newest first; more after?"""
    where: Any = User.id > 0
    if query:
        pattern = f"%{query}%"
        # SQLite's LIKE ignores case already; PostgreSQL's ILIKE does.
        like = "like" if is_sqlite(User._meta.db) else "ilike"
        where &= (
            getattr(User.username, like)(pattern)
            | getattr(User.display_name, like)(pattern)
            | getattr(User.email, like)(pattern)
        )
    if role:
        where &= User.role == role
    rows = await (
        User.select(
            User.id,
            User.username,
            User.display_name,
            User.email,
            User.role,
            User.is_active,
            User.created_at,
        )
        .where(where)
        .order_by(User.id, ascending=False)
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    )
    ids = [row["id"] for row in rows[:PER_PAGE]]
    counts: dict[int, int] = {}
    inviters: dict[int, str] = {}
    if ids:
        videos = await (
            Video.select(Video.owner, Count(Video.id, alias="n"))
            .where(Video.owner.is_in(ids))
            .group_by(Video.owner)
        )
        counts = {int(row["owner"]): int(row["n"]) for row in videos}
        uses = await InvitationUse.select(
            InvitationUse.user,
            InvitationUse.invitation.inviter.username,  # type: ignore[union-attr]
        ).where(InvitationUse.user.is_in(ids))
        inviters = {int(row["user"]): str(row["invitation.inviter.username"]) for row in uses}
    members = [
        Member(
            username=str(row["username"]),
            display_name=str(row["display_name"] or ""),
            email=str(row["email"]),
            role=str(row["role"]),
            active=bool(row["is_active"]),
            joined=row["created_at"],
            videos=counts.get(int(row["id"]), 0),
            invited_by=inviters.get(int(row["id"]), ""),
        )
        for row in rows[:PER_PAGE]
    ]
    return members, len(rows) > PER_PAGE


def _page_number(raw: str | None) -> int:
    if raw is None:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise ValueError(gettext("The page is a whole number from 1."))
    return int(raw)


class MembersPage(Controller):
    """The members list, its actions and the creator requests."""

    path = "/admin/members"
    guards = [requires_role("moderator")]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """Members by search and role, 50 a page, and the requests waiting."""
        return await _page(request)

    @post("/{username:str}/role")
    async def change_role(
        self, request: Request[Any, Any, Any], username: FromPath[str]
    ) -> Template | Redirect:
        """Give a member another role."""
        form = await request.form()
        role = text_field(form, "role")
        member = await _other(request, username)
        admin = has_role(request.scope["user"], "admin")
        if role not in ROLES:
            return await _page(
                request, HTTP_400_BAD_REQUEST, gettext("Choose a role from the list.")
            )
        if not admin and (role not in MODERATOR_ROLES or member.role not in MODERATOR_ROLES):
            raise PermissionDeniedException(
                gettext("Moderators make members creators and back; other roles are for admins.")
            )
        await set_role(member, role)
        return see_other(_back(request))

    @post("/{username:str}/active")
    async def change_active(
        self, request: Request[Any, Any, Any], username: FromPath[str]
    ) -> Template | Redirect:
        """Turn an account off (it cannot sign in, its sessions and tokens stop) or on."""
        if not has_role(request.scope["user"], "admin"):
            raise PermissionDeniedException(gettext("Only admins turn accounts off and on."))
        form = await request.form()
        wanted = text_field(form, "active")
        if wanted not in ("0", "1"):
            return await _page(
                request, HTTP_400_BAD_REQUEST, gettext("Say whether to turn it on or off.")
            )
        await set_active(await _other(request, username), wanted == "1")
        return see_other(_back(request))

    @post("/requests/{request_id:int}")
    async def decide(
        self, request: Request[Any, Any, Any], request_id: FromPath[int]
    ) -> Template | Redirect:
        """Approve or decline a request to become a creator."""
        form = await request.form()
        decision = text_field(form, "decision")
        if decision not in ("approve", "decline"):
            return await _page(
                request, HTTP_400_BAD_REQUEST, gettext("Approve or decline the request.")
            )
        try:
            await creators.decide(request_id, request.scope["user"], decision == "approve")
        except creators.CreatorError as exc:
            return await _page(request, 404, exc.message)
        return see_other("/admin/members")


async def _other(request: Request[Any, Any, Any], username: str) -> User:
    """The member ``username``, never the one asking (404 for an unknown name)."""
    member = await User.objects().where(User.username == username.lower()).first()
    if member is None:
        raise NotFoundException(gettext("There is no member with that name."))
    if member.id == request.scope["user"].id:
        raise PermissionDeniedException(
            gettext("You cannot change your own account here; ask another admin.")
        )
    return member


def _back(request: Request[Any, Any, Any]) -> str:
    """The list the form was sent from (its search and page), else the first page."""
    referer = request.headers.get("referer", "")
    path = referer.split("://", 1)[-1].partition("/")[2]
    return "/" + path if path.startswith("admin/members") else "/admin/members"


async def _page(request: Request[Any, Any, Any], status: int = 200, error: str = "") -> Template:
    query = request.query_params.get("q", "").strip()[:QUERY_LENGTH]
    role = request.query_params.get("role", "")
    if role and role not in ROLES:
        role, error, status = "", gettext("Choose a role from the list."), HTTP_400_BAD_REQUEST
    try:
        page = _page_number(request.query_params.get("page"))
    except ValueError as exc:
        page, error, status = 1, str(exc), HTTP_400_BAD_REQUEST
    members, more = await find(query, role, page)
    user = request.scope["user"]
    context = {
        "user": user,
        "admin": has_role(user, "admin"),
        "members": members,
        "more": more,
        "page": page,
        "query": query,
        "role": role,
        "roles": ROLES,
        "moderator_roles": MODERATOR_ROLES,
        "requests": await creators.pending(),
        "error": error,
    }
    return Template("admin/members.html", context=context, status_code=status)
