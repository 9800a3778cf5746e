"""Becoming a creator (open, by request, by operators) and ``/admin/members``: finding
members, changing roles, turning accounts off, deciding requests, and who may do what."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.accounts import invitations
from nichevid.accounts.tables import CreatorRequest, User
from nichevid.privacy.bundle import creator_requests
from nichevid.social.tables import Notification
from tests.accounts.conftest import login, post_form
from tests.conftest import user_maker

HTML = {"accept": "text/html"}


async def as_(client: Any, username: str) -> None:
    client.cookies.clear()
    assert (await login(client, username)).status_code == 303


async def role_of(username: str) -> str:
    row = await User.select(User.role).where(User.username == username).first()
    return str(row["role"])


async def test_any_member_starts_creating_at_one_click_by_default(
    nv_client: Any, nv_resources: Any
) -> None:
    await user_maker(nv_resources)("fan")
    await as_(nv_client, "fan")
    assert (await nv_client.get("/upload", headers=HTML)).status_code == 200
    refused = await post_form(nv_client, "/upload/creator-request", {"message": "hi"})
    assert refused.status_code == 400
    assert "takes no requests" in refused.text
    answer = await post_form(nv_client, "/upload/creator", {})
    assert answer.status_code == 303
    assert await role_of("fan") == "creator"
    page = await nv_client.get("/upload", headers=HTML)
    assert page.status_code == 200
    assert 'type="file"' in page.text
    # Sent again (a second tab), both forms lead back to the upload page.
    for path in ("/upload/creator", "/upload/creator-request"):
        again = await post_form(nv_client, path, {"message": "hi"})
        assert again.status_code == 303
        assert again.headers["location"] == "/upload"
    assert await CreatorRequest.count() == 0


class TestByRequest:
    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory(accounts={"creator_access": "request"})

    async def test_members_ask_and_moderators_decide(
        self, nv_client: Any, nv_resources: Any
    ) -> None:
        make = user_maker(nv_resources)
        await make("fan")
        await make("mod", role="moderator")
        await as_(nv_client, "fan")
        page = (await nv_client.get("/upload", headers=HTML)).text
        assert 'id="nv-ask-to-create"' in page
        assert 'id="nv-start-creating"' not in page
        assert (await post_form(nv_client, "/upload/creator", {})).status_code == 400
        assert await role_of("fan") == "member"
        too_long = await post_form(nv_client, "/upload/creator-request", {"message": "x" * 501})
        assert too_long.status_code == 400
        assert "at most 500 characters" in too_long.text
        asked = await post_form(
            nv_client, "/upload/creator-request", {"message": "Bouldering <b>beta</b> videos"}
        )
        assert asked.status_code == 303
        assert 'id="nv-creator-waiting"' in (await nv_client.get("/upload", headers=HTML)).text
        twice = await post_form(nv_client, "/upload/creator-request", {"message": "again"})
        assert twice.status_code == 400
        assert "waits for the moderators already" in twice.text
        assert await CreatorRequest.count() == 1

        await as_(nv_client, "mod")
        home = (await nv_client.get("/admin", headers=HTML)).text
        assert "1 request to become a creator waits for a decision" in home
        listing = (await nv_client.get("/admin/members", headers=HTML)).text
        assert "Bouldering &lt;b&gt;beta&lt;/b&gt; videos" in listing
        found = re.search(r'data-request="(\d+)"', listing)
        assert found
        request_id = found.group(1)
        bad = await post_form(nv_client, f"/admin/members/requests/{request_id}", {"decision": "x"})
        assert bad.status_code == 400
        declined = await post_form(
            nv_client, f"/admin/members/requests/{request_id}", {"decision": "decline"}
        )
        assert declined.status_code == 303
        assert await role_of("fan") == "member"
        late = await post_form(
            nv_client, f"/admin/members/requests/{request_id}", {"decision": "approve"}
        )
        assert late.status_code == 404
        assert "No such request waits" in late.text
        assert await role_of("fan") == "member"
        assert 'id="nv-creator-requests-waiting"' not in (await nv_client.get("/admin")).text

        # Declined, the member may ask again; this time it is approved.
        await as_(nv_client, "fan")
        page = (await nv_client.get("/upload", headers=HTML)).text
        assert "Your last request was declined" in page
        assert (
            await post_form(nv_client, "/upload/creator-request", {"message": ""})
        ).status_code == 303
        await as_(nv_client, "mod")
        second = await CreatorRequest.objects().where(CreatorRequest.decided_at.is_null()).first()
        answer = await post_form(
            nv_client, f"/admin/members/requests/{second.id}", {"decision": "approve"}
        )
        assert answer.status_code == 303
        assert await role_of("fan") == "creator"
        # The member is told each decision, by the site rather than by a moderator.
        told = await Notification.select(Notification.kind, Notification.actor).order_by(
            Notification.id
        )
        assert told == [
            {"kind": "creator_declined", "actor": None},
            {"kind": "creator_approved", "actor": None},
        ]
        await as_(nv_client, "fan")
        inbox = (await nv_client.get("/notifications", headers=HTML)).text
        assert "was approved: you can upload videos now" in inbox
        assert "was declined" in inbox
        fan = await User.objects().where(User.username == "fan").first()
        asked = await creator_requests(fan)
        assert [(r["message"], r["approved"]) for r in asked] == [
            ("Bouldering <b>beta</b> videos", False),
            ("", True),
        ]


class TestByOperators:
    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory(accounts={"creator_access": "operators"})

    async def test_members_cannot_make_themselves_creators(
        self, nv_client: Any, nv_resources: Any
    ) -> None:
        await user_maker(nv_resources)("fan")
        await as_(nv_client, "fan")
        answer = await nv_client.get("/upload", headers=HTML)
        assert answer.status_code == 403
        page = answer.text
        assert "decide who creates" in page
        assert (
            "<form" not in page.split('class="nv-notice nv-upload-creators"')[1].split("</div>")[0]
        )
        for path in ("/upload/creator", "/upload/creator-request"):
            assert (await post_form(nv_client, path, {})).status_code == 400
        assert await role_of("fan") == "member"


async def test_admins_find_members_change_roles_and_turn_accounts_off(
    nv_client: Any, nv_resources: Any
) -> None:
    make = user_maker(nv_resources)
    boss = await make("boss", role="admin")
    members = {name: await make(name) for name in ("anna_climbs", "ben", "carla")}
    made = await invitations.create(boss, nv_resources.settings, uses=1, days=7)
    await invitations.record(made.id, members["ben"])
    await as_(nv_client, "boss")
    page = (await nv_client.get("/admin", headers=HTML)).text
    assert 'href="/admin/members"' in page
    found = (await nv_client.get("/admin/members?q=CLIMB", headers=HTML)).text
    assert 'data-member="anna_climbs"' in found
    assert 'data-member="ben"' not in found
    assert "anna_climbs@example.org" in found  # admins see addresses
    by_address = (await nv_client.get("/admin/members?q=carla%40", headers=HTML)).text
    assert 'data-member="carla"' in by_address
    everyone = (await nv_client.get("/admin/members", headers=HTML)).text
    assert re.findall(r'data-invited-by="(\w+)"', everyone) == ["boss"]
    assert "invited by @boss" in everyone.split('data-member="ben"')[1].split("</tr>")[0]
    admins = (await nv_client.get("/admin/members?role=admin", headers=HTML)).text
    assert re.findall(r'data-member="(\w+)"', admins) == ["boss"]
    for bad in ("?role=owner", "?page=0", "?page=x"):
        assert (await nv_client.get("/admin/members" + bad, headers=HTML)).status_code == 400

    answer = await post_form(nv_client, "/admin/members/ben/role", {"role": "moderator"})
    assert answer.status_code == 303
    assert await role_of("ben") == "moderator"
    assert (
        await post_form(nv_client, "/admin/members/ben/role", {"role": "owner"})
    ).status_code == 400
    assert (
        await post_form(nv_client, "/admin/members/nobody/role", {"role": "creator"})
    ).status_code == 404
    # Nobody changes their own account here.
    own = await post_form(nv_client, "/admin/members/boss/role", {"role": "member"})
    assert own.status_code == 403
    assert await role_of("boss") == "admin"
    assert (
        await post_form(nv_client, "/admin/members/boss/active", {"active": "0"})
    ).status_code == 403

    off = await post_form(nv_client, "/admin/members/carla/active", {"active": "0"})
    assert off.status_code == 303
    nv_client.cookies.clear()
    assert (await login(nv_client, "carla")).status_code == 400  # a turned-off account
    await as_(nv_client, "boss")
    assert (
        await post_form(nv_client, "/admin/members/carla/active", {"active": "maybe"})
    ).status_code == 400
    on = await post_form(nv_client, "/admin/members/carla/active", {"active": "1"})
    assert on.status_code == 303
    nv_client.cookies.clear()
    assert (await login(nv_client, "carla")).status_code == 303


async def test_moderators_only_move_members_and_creators(nv_client: Any, nv_resources: Any) -> None:
    make = user_maker(nv_resources)
    await make("mod", role="moderator")
    await make("boss", role="admin")
    await make("fan")
    await as_(nv_client, "mod")
    page = (await nv_client.get("/admin/members", headers=HTML)).text
    assert "fan@example.org" not in page  # no addresses for moderators
    assert (
        await post_form(nv_client, "/admin/members/fan/role", {"role": "creator"})
    ).status_code == 303
    assert await role_of("fan") == "creator"
    for name, role in (("fan", "moderator"), ("boss", "member")):
        answer = await post_form(nv_client, f"/admin/members/{name}/role", {"role": role})
        assert answer.status_code == 403
    assert (await role_of("fan"), await role_of("boss")) == ("creator", "admin")
    assert (
        await post_form(nv_client, "/admin/members/fan/active", {"active": "0"})
    ).status_code == 403
    # Members do not get the page at all.
    await as_(nv_client, "fan")
    assert (await nv_client.get("/admin/members", headers=HTML)).status_code == 403
