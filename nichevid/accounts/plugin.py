"""Accounts as a plugin of the core: tables, routes, auth middleware, jobs, commands."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.accounts.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.accounts.api import AccountsApi
    from nichevid.accounts.email_routes import EmailLinks, EmailSettings
    from nichevid.accounts.invitation_routes import InvitationPages
    from nichevid.accounts.language import LanguagePages
    from nichevid.accounts.routes import AuthPages
    from nichevid.accounts.settings_routes import ProfilePages, SettingsPages, at_handle
    from nichevid.accounts.twofactor_routes import TwoFactorLogin, TwoFactorSettings

    return [
        AuthPages,
        TwoFactorLogin,
        SettingsPages,
        TwoFactorSettings,
        InvitationPages,
        EmailSettings,
        EmailLinks,
        ProfilePages,
        AccountsApi,
        LanguagePages,
        at_handle,
    ]


@hookimpl
def register_middleware(settings: Settings) -> list[Any]:
    from nichevid.accounts.auth import AuthMiddleware

    return [AuthMiddleware]


@hookimpl
def register_jobs() -> list[Any]:
    from nichevid.accounts.mail import jobs

    return jobs()


@hookimpl
def register_cli_commands() -> list[Any]:
    from nichevid.accounts.cli import user_group

    return [user_group]


@hookimpl
async def upload_accept(user: Any, resources: Any) -> str | None:
    from nichevid.accounts.emails import unconfirmed_refusal

    return await unconfirmed_refusal(user, resources.settings)


@hookimpl
async def comment_accept(user: Any, resources: Any) -> str | None:
    from nichevid.accounts.emails import unconfirmed_refusal

    return await unconfirmed_refusal(user, resources.settings)
