"""Invitations: who may make them, signing up with one (and only with one on an invite-only
site), uses, expiry and revocation, races for the last use, the command, the export."""

from __future__ import annotations

import asyncio
import json
import re
import zipfile
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from click.testing import CliRunner

from nichevid.accounts import invitations
from nichevid.accounts.rules import now
from nichevid.accounts.tables import Invitation, InvitationUse, User
from nichevid.cli import main
from tests.accounts.conftest import PASSWORD, login, post_form

HTML = {"accept": "text/html"}


async def sign_up(client: Any, username: str, invite: str = "", **extra: str) -> Any:
    client.cookies.clear()
    form = {
        "username": username,
        "email": f"{username}@example.org",
        "password": PASSWORD,
        "invite": invite,
        **extra,
    }
    return await post_form(client, "/signup", form)


async def make_invitation(client: Any, username: str, **form: str) -> str:
    """Log ``username`` in, make an invitation through the page; its code."""
    client.cookies.clear()
    assert (await login(client, username)).status_code == 303
    answer = await post_form(
        client, "/settings/invitations", {"uses": "1", "days": "7", "note": "", **form}
    )
    assert answer.status_code == 200, answer.text
    found = re.search(r'id="nv-invitation-link">[^<]*/signup\?invite=([\w-]+)<', answer.text)
    assert found, answer.text
    return found.group(1)


async def joined_with(username: str) -> int | None:
    row = await (
        InvitationUse.select(InvitationUse.invitation)
        .where(InvitationUse.user.username == username)
        .first()
    )
    return None if row is None else int(row["invitation"])


class TestInviteOnly:
    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory(accounts={"invite_only": True})

    async def test_sign_up_takes_an_invitation_and_records_who_brought_whom(
        self, nv_client: Any, make_user: Any
    ) -> None:
        await make_user("mod", role="moderator")
        page = await nv_client.get("/signup", headers=HTML)
        assert 'id="nv-invitation-needed"' in page.text
        assert "ask a member for an invitation link" in page.text
        assert 'name="username"' not in page.text
        refused = await sign_up(nv_client, "walkin")
        assert refused.status_code == 403
        assert "This invitation link is not valid" in refused.text
        assert not await User.exists().where(User.username == "walkin")

        code = await make_invitation(nv_client, "mod", uses="2", note="climbers")
        nv_client.cookies.clear()
        page = await nv_client.get(f"/signup?invite={code}", headers=HTML)
        assert f'name="invite" value="{code}"' in page.text
        assert "You were invited" in page.text
        assert (await sign_up(nv_client, "first", code)).status_code == 303
        # A failed sign-up (a taken name) gives its use back.
        again = await sign_up(nv_client, "first", code, email="other@example.org")
        assert again.status_code == 400
        assert f'name="invite" value="{code}"' in again.text
        assert (await sign_up(nv_client, "second", code)).status_code == 303
        used_up = await sign_up(nv_client, "third", code)
        assert used_up.status_code == 403
        assert "used as often as it may" in used_up.text
        assert not await User.exists().where(User.username == "third")
        row = await Invitation.objects().where(Invitation.code == code).first()
        assert (row.uses, row.max_uses, row.note) == (2, 2, "climbers")
        assert await joined_with("first") == await joined_with("second") == row.id

        # The inviter's list says who joined and that it is used up.
        nv_client.cookies.clear()
        await login(nv_client, "mod")
        listing = (await nv_client.get("/settings/invitations", headers=HTML)).text
        assert f'data-invitation="{row.id}" data-status="used_up"' in listing
        assert '<a href="/u/first">@first</a>, <a href="/u/second">@second</a>' in listing
        # And was told of each.
        inbox = (await nv_client.get("/notifications", headers=HTML)).text
        assert inbox.count("joined with your invitation") == 2

    async def test_expired_and_revoked_invitations_let_nobody_in(
        self, nv_client: Any, make_user: Any
    ) -> None:
        await make_user("mod", role="moderator")
        expired = await make_invitation(nv_client, "mod", days="1")
        await Invitation.update({Invitation.expires_at: now() - timedelta(seconds=1)}).where(
            Invitation.code == expired
        )
        nv_client.cookies.clear()
        page = await nv_client.get(f"/signup?invite={expired}", headers=HTML)
        assert "This invitation has expired" in page.text
        assert 'name="username"' not in page.text
        assert (await sign_up(nv_client, "late", expired)).status_code == 403

        revoked = await make_invitation(nv_client, "mod")  # and stays signed in
        listing = (await nv_client.get("/settings/invitations", headers=HTML)).text
        invitation_id = re.search(r'data-invitation="(\d+)" data-status="open"', listing)
        assert invitation_id
        answer = await post_form(
            nv_client, f"/settings/invitations/{invitation_id.group(1)}/revoke", {}
        )
        assert answer.status_code == 303
        refused = await sign_up(nv_client, "blocked", revoked)
        assert refused.status_code == 403
        assert "not valid" in refused.text
        assert (await Invitation.objects().where(Invitation.code == revoked).first()).uses == 0

    async def test_two_sign_ups_racing_for_the_last_use_never_both_get_it(
        self, nv_resources: Any, make_user: Any
    ) -> None:
        mod = await make_user("mod", role="moderator")
        made = await invitations.create(mod, nv_resources.settings, uses=1, days=7)
        results = await asyncio.gather(
            *(invitations.claim(made.code) for _ in range(8)), return_exceptions=True
        )
        assert sum(isinstance(r, int) for r in results) == 1
        assert all(
            isinstance(r, invitations.InvitationError) for r in results if not isinstance(r, int)
        )
        assert (await Invitation.objects().where(Invitation.id == made.id).first()).uses == 1


async def test_on_an_open_site_an_invitation_records_who_brought_whom(
    nv_client: Any, make_user: Any
) -> None:
    await make_user("boss", role="admin")
    code = await make_invitation(nv_client, "boss")
    assert (await sign_up(nv_client, "friend", code)).status_code == 303
    assert await joined_with("friend") is not None
    # A used-up link on an open site: told, and signed up without it.
    nv_client.cookies.clear()
    page = await nv_client.get(f"/signup?invite={code}", headers=HTML)
    assert "used as often as it may" in page.text
    assert "You can still sign up without it" in page.text
    assert (await sign_up(nv_client, "walkin", code)).status_code == 303
    assert await joined_with("walkin") is None
    assert (await sign_up(nv_client, "plain")).status_code == 303


async def test_only_the_invite_roles_may_invite_each_within_their_limit(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    member = await make_user("member")
    mod = await make_user("mod", role="moderator")
    boss = await make_user("boss", role="admin")
    assert (await login(nv_client, "member")).status_code == 303
    page = await nv_client.get("/settings/invitations", headers=HTML)
    assert "may not make invitations" in page.text
    assert 'href="/settings/invitations"' not in (await nv_client.get("/settings/tokens")).text
    refused = await post_form(nv_client, "/settings/invitations", {"uses": "1", "days": "7"})
    assert refused.status_code == 403
    assert not await Invitation.exists().where(Invitation.inviter == member.id)

    settings = nv_resources.settings
    with pytest.raises(invitations.InvitationError, match="may not make invitations"):
        await invitations.create(member, settings, uses=1, days=7)
    for uses, days in ((0, 7), (101, 7), (1, 2), (1, -1)):
        with pytest.raises(invitations.InvitationError):
            await invitations.create(mod, settings, uses=uses, days=days)
    limit = settings.accounts.invitations_per_member
    for _ in range(limit):
        await invitations.create(mod, settings, uses=1, days=0)
    with pytest.raises(invitations.InvitationError, match="revoke one first"):
        await invitations.create(mod, settings, uses=1, days=0)
    await invitations.create(boss, settings, uses=1, days=0)  # admins: no limit
    # Bad numbers from the form are refused with the field named.
    nv_client.cookies.clear()
    await login(nv_client, "boss")
    for form in (
        {"uses": "x", "days": "7"},
        {"uses": "1", "days": "365"},
        {"uses": "1", "days": "7", "note": "n" * 101},
    ):
        answer = await post_form(nv_client, "/settings/invitations", form)
        assert answer.status_code == 400
        assert 'aria-invalid="true"' in answer.text
    # A moderator cannot revoke another's invitation; an admin sees and revokes all.
    theirs = await Invitation.objects().where(Invitation.inviter == boss.id).first()
    nv_client.cookies.clear()
    await login(nv_client, "mod")
    answer = await post_form(nv_client, f"/settings/invitations/{theirs.id}/revoke", {})
    assert answer.status_code == 404
    nv_client.cookies.clear()
    await login(nv_client, "boss")
    everyone = (await nv_client.get("/settings/invitations?all=1", headers=HTML)).text
    assert everyone.count('<a href="/u/mod">@mod</a>') == limit
    mod_invitation = await Invitation.objects().where(Invitation.inviter == mod.id).first()
    answer = await post_form(nv_client, f"/settings/invitations/{mod_invitation.id}/revoke", {})
    assert answer.status_code == 303
    revoked = await Invitation.objects().where(Invitation.id == mod_invitation.id).first()
    assert revoked.revoked_at is not None


def test_operators_make_invitations_from_the_command_line(cli: CliRunner) -> None:
    def run(*args: str, stdin: str | None = None) -> Any:
        env = {"NICHEVID_SERVER__BASE_URL": "https://climb.example"}
        return cli.invoke(main, list(args), input=stdin, obj={}, env=env)

    for name, role in (("boss", "admin"), ("member", "member")):
        made = run("user", "create", name, "--role", role, "--password-stdin", stdin=PASSWORD)
        assert made.exit_code == 0, made.output
    done = run("user", "invite", "boss", "--uses", "3", "--days", "30", "--note", "launch")
    assert done.exit_code == 0, done.output
    assert re.fullmatch(r"https://climb\.example/signup\?invite=[\w-]{22}\n", done.output)
    refused = run("user", "invite", "member")
    assert refused.exit_code != 0
    assert "may not make invitations" in refused.output
    for bad in (["--uses", "0"], ["--days", "2"]):
        assert run("user", "invite", "boss", *bad).exit_code != 0


async def test_the_data_export_lists_invitations_made_and_the_one_joined_with(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    from nichevid.privacy.bundle import build

    boss = await make_user("boss", role="admin")
    code = await make_invitation(nv_client, "boss", note="friends")
    assert (await sign_up(nv_client, "friend", code)).status_code == 303
    friend = await User.objects().where(User.username == "friend").first()

    async def exported(user: Any) -> dict[str, Any]:
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            await build(nv_resources, user, archive)
        with zipfile.ZipFile(buffer) as archive:
            return dict(json.loads(archive.read("invitations.json")))

    mine = await exported(boss)
    assert [(m["note"], m["joined"], m["state"]) for m in mine["made"]] == [
        ("friends", ["friend"], "used_up")
    ]
    assert mine["joined_with"] is None
    theirs = await exported(friend)
    assert theirs["made"] == []
    assert theirs["joined_with"]["inviter"] == "boss"
