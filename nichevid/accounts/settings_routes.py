"""Account settings pages (password, profile, API tokens) and the public profile page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_301_MOVED_PERMANENTLY, HTTP_400_BAD_REQUEST

from nichevid.accounts import services
from nichevid.accounts.auth import start_session
from nichevid.accounts.guards import requires_login
from nichevid.accounts.web import file_field, page, resources_of, see_other, text_field
from nichevid.i18n import gettext
from nichevid.plugins import notify

# Room for the text fields next to the avatar in a multipart body.
FORM_OVERHEAD = 64 * 1024


class SettingsPages(Controller):
    """The signed-in user's own settings."""

    path = "/settings"
    tags = ["accounts"]
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def index(self) -> Redirect:
        """``/settings`` opens the first settings page."""
        return Redirect("/settings/profile")

    @get("/password")
    async def password_form(self, request: Request[Any, Any, Any]) -> Template:
        """The change-password form."""
        return page(request, "accounts/password.html", done=request.query_params.get("done") == "1")

    @post("/password")
    async def change_password(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Change the password, then continue in a fresh session."""
        resources = resources_of(request)
        user = request.scope["user"]
        form = await request.form()
        try:
            await services.change_password(
                resources.settings,
                user,
                text_field(form, "current_password"),
                text_field(form, "password"),
            )
        except services.AccountError as exc:
            return page(
                request,
                "accounts/password.html",
                status=HTTP_400_BAD_REQUEST,
                error=exc.message,
                field=exc.field,
            )
        await start_session(request, user)
        return see_other("/settings/password?done=1")

    @get("/profile")
    async def profile_form(self, request: Request[Any, Any, Any]) -> Template:
        """The profile form: display name, bio, avatar."""
        user = request.scope["user"]
        return page(
            request,
            "accounts/profile_edit.html",
            form={"display_name": user.display_name, "bio": user.bio},
            avatar_url=await services.avatar_url(resources_of(request), user),
            done=request.query_params.get("done") == "1",
        )

    @post("/profile")
    async def update_profile(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Save the profile; a refused avatar keeps the old one and shows why."""
        resources = resources_of(request)
        user = request.scope["user"]
        limit = resources.settings.accounts.avatar_max_bytes + FORM_OVERHEAD
        if int(request.headers.get("content-length") or 0) > limit:
            return await self._profile_error(
                request,
                {},
                gettext(
                    "That upload is too large; the limit is %(limit)s MB.",
                    limit=limit // 1_000_000,
                ),
            )
        form = await request.form()
        values = {"display_name": text_field(form, "display_name"), "bio": text_field(form, "bio")}
        upload = file_field(form, "avatar")
        if upload is not None:
            data = await upload.read(resources.settings.accounts.avatar_max_bytes + 1)
            try:
                await services.set_avatar(resources, user, data)
            except services.AccountError as exc:
                return await self._profile_error(request, values, exc.message, exc.field)
        elif text_field(form, "remove_avatar"):
            await services.remove_avatar(resources, user)
        await services.update_profile(user, **values)
        return see_other("/settings/profile?done=1")

    async def _profile_error(
        self, request: Request[Any, Any, Any], values: dict[str, str], error: str, field: str = ""
    ) -> Template:
        user = request.scope["user"]
        return page(
            request,
            "accounts/profile_edit.html",
            status=HTTP_400_BAD_REQUEST,
            form=values or {"display_name": user.display_name, "bio": user.bio},
            avatar_url=await services.avatar_url(resources_of(request), user),
            error=error,
            field=field or "avatar",
        )

    @get("/tokens")
    async def tokens(self, request: Request[Any, Any, Any]) -> Template:
        """The user's API tokens."""
        return await self._tokens_page(request)

    @post("/tokens")
    async def create_token(self, request: Request[Any, Any, Any]) -> Template:
        """Create a token and show it, this once."""
        form = await request.form()
        name = text_field(form, "name")
        try:
            plain, info = await services.create_token(request.scope["user"], name)
        except services.AccountError as exc:
            return await self._tokens_page(
                request, status=HTTP_400_BAD_REQUEST, error=exc.message, form={"name": name}
            )
        return await self._tokens_page(request, new_token=plain, new_info=info)

    @post("/tokens/{token_id:int}/revoke")
    async def revoke_token(
        self, request: Request[Any, Any, Any], token_id: FromPath[int]
    ) -> Redirect:
        """Revoke one token."""
        await services.revoke_token(request.scope["user"], token_id)
        return see_other("/settings/tokens")

    async def _tokens_page(
        self, request: Request[Any, Any, Any], *, status: int = 200, **context: Any
    ) -> Template:
        context.setdefault("form", {})
        return page(
            request,
            "accounts/tokens.html",
            status=status,
            tokens=await services.list_tokens(request.scope["user"]),
            **context,
        )


@get("/{handle:str}", include_in_schema=False)
async def at_handle(handle: FromPath[str]) -> Redirect:
    """``/@name``, the address people share, leads to the profile ``/u/name``."""
    if not handle.startswith("@") or len(handle) < 2:
        raise NotFoundException()
    return Redirect(f"/u/{quote(handle[1:], safe='')}", status_code=HTTP_301_MOVED_PERMANENTLY)


class ProfilePages(Controller):
    """Public profile pages."""

    path = "/u"
    tags = ["accounts"]
    include_in_schema = False

    @get("/{username:str}")
    async def profile(self, request: Request[Any, Any, Any], username: FromPath[str]) -> Template:
        """A member's public profile."""
        from nichevid.safety.services import is_blocking

        member = await services.get_user_by_username(username)
        viewer = request.scope.get("user")
        # A member who blocks the viewer is, to them, not there at all.
        if (
            member is None
            or not member.is_active
            or (viewer is not None and await is_blocking(member, viewer))
        ):
            raise NotFoundException(
                gettext("There is no member called %(name)s.", name=repr(username))
            )
        await notify(request.app.state.pm, "prepare_profile", request=request, member=member)
        return page(
            request,
            "accounts/profile.html",
            member=services.public_profile(member),
            avatar_url=await services.avatar_url(resources_of(request), member),
        )
