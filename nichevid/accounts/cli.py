"""``nichevid user``: create accounts, hand out API tokens, change roles, list users."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from nichevid.accounts.tables import ROLES
from nichevid.cli import UserError, friendly_errors, run_async, settings_from

T = TypeVar("T")


def with_resources(ctx: click.Context, work: Callable[[Any], Awaitable[T]]) -> T:
    """Open the instance's resources (no job runner), run ``work(resources)``, close them."""
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    settings = settings_from(ctx)

    async def go() -> T:
        resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
        try:
            return await work(resources)
        finally:
            await close_resources(resources)

    return run_async(go())


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise UserError("no password on standard input")
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


async def _existing(name: str) -> Any:
    from nichevid.accounts import services

    user = await services.get_user_by_username(name)
    if user is None:
        raise UserError(f"no user named {name!r}; `nichevid user list` shows who exists")
    return user


@click.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("create")
@click.argument("name")
@click.option("--email", help="E-mail address (default: NAME@users.invalid, which gets no mail).")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--display-name", default="", help="Name shown instead of the username.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@friendly_errors
def create(
    ctx: click.Context,
    name: str,
    email: str | None,
    role: str,
    display_name: str,
    password_stdin: bool,
) -> None:
    """Create the account NAME (reserved names such as 'admin' are allowed here)."""
    from nichevid.accounts import services

    password = read_password(password_stdin)

    async def work(resources: Any) -> Any:
        return await services.create_user(
            resources.settings,
            resources.pm,
            username=name,
            email=email or f"{name.lower()}@users.invalid",
            password=password,
            role=role,
            display_name=display_name,
            allow_reserved=True,
        )

    try:
        user = with_resources(ctx, work)
    except services.AccountError as exc:
        raise UserError(exc.message) from exc
    click.echo(f"created {user.username} ({user.role})")


@user_group.command("token")
@click.argument("name")
@click.option("--name", "token_name", default="command line", show_default=True)
@click.pass_context
@friendly_errors
def token(ctx: click.Context, name: str, token_name: str) -> None:
    """Create a personal API token for NAME and print it (it is shown only once)."""
    from nichevid.accounts import services

    async def work(resources: Any) -> str:
        plain, _ = await services.create_token(await _existing(name), token_name)
        return plain

    try:
        click.echo(with_resources(ctx, work))
    except services.AccountError as exc:
        raise UserError(exc.message) from exc


@user_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_context
@friendly_errors
def set_role(ctx: click.Context, name: str, role: str) -> None:
    """Give NAME the role ROLE."""
    from nichevid.accounts import services

    async def work(resources: Any) -> None:
        await services.set_role(await _existing(name), role)

    with_resources(ctx, work)
    click.echo(f"{name.lower()} is now {role}")


@user_group.command("two-factor-off")
@click.argument("name")
@click.pass_context
@friendly_errors
def two_factor_off(ctx: click.Context, name: str) -> None:
    """Turn two-factor authentication off for NAME (who lost their phone and codes)."""
    from nichevid.accounts import twofactor

    async def work(resources: Any) -> bool:
        return await twofactor.turn_off(await _existing(name))

    if with_resources(ctx, work):
        click.echo(
            f"two-factor authentication is off for {name.lower()}: the password alone logs in"
        )
    else:
        click.echo(f"{name.lower()} had no two-factor authentication on; nothing changed")


@user_group.command("list")
@click.option("--limit", type=int, default=1000, show_default=True)
@click.pass_context
@friendly_errors
def list_users(ctx: click.Context, limit: int) -> None:
    """List accounts: id, username, role, e-mail, created."""
    from nichevid.accounts import services

    async def work(resources: Any) -> list[Any]:
        return await services.list_users(limit=limit)

    for user in with_resources(ctx, work):
        state = "" if user.is_active else " (disabled)"
        created = user.created_at.strftime("%Y-%m-%d")
        click.echo(f"{user.id}\t{user.username}\t{user.role}\t{user.email}\t{created}{state}")


@user_group.command("invite")
@click.argument("name")
@click.option("--uses", type=int, default=1, show_default=True, help="sign-ups it allows")
@click.option(
    "--days",
    type=click.Choice(["1", "7", "30", "0"]),
    default="7",
    show_default=True,
    help="how long it works (0: until revoked)",
)
@click.option("--note", default="", help="a note for the inviter's list")
@click.pass_context
@friendly_errors
def invite(ctx: click.Context, name: str, uses: int, days: str, note: str) -> None:
    """Make an invitation from NAME (who may invite) and print its sign-up link."""
    from nichevid.accounts import invitations

    async def work(resources: Any) -> str:
        made = await invitations.create(
            await _existing(name), resources.settings, uses=uses, days=int(days), note=note
        )
        server = resources.settings.server
        base = server.base_url or f"http://{server.host}:{server.port}"
        return invitations.link(base, made.code)

    try:
        click.echo(with_resources(ctx, work))
    except invitations.InvitationError as exc:
        raise UserError(exc.message) from exc
