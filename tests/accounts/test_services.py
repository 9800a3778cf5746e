"""Account services called directly: sign-up rules, authentication, re-hashing, roles, hooks."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher

from nichevid.accounts import passwords, services
from nichevid.accounts.tables import User
from nichevid.plugins import hookimpl
from tests.accounts.conftest import PASSWORD


def test_default_hasher_is_argon2id_with_the_rfc_9106_parameters() -> None:
    import argon2

    params = argon2.extract_parameters(passwords.DEFAULT_HASHER.hash("x"))
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 65536
    assert params.time_cost >= 3


async def test_create_user_stores_an_argon2id_hash(make_user: Any) -> None:
    user = await make_user("Alice_1", email="Alice@Example.org", display_name="Alice")
    row = await User.objects().where(User.id == user.id).first().run()
    assert row.username == "alice_1"
    assert row.email == "alice@example.org"
    assert row.display_name == "Alice"
    assert row.role == "member"
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash


@pytest.mark.parametrize(
    ("username", "email"),
    [("ALICE", "other@example.org"), ("other", "ALICE@EXAMPLE.ORG")],
    ids=["username", "email"],
)
async def test_duplicates_are_refused_ignoring_case(
    make_user: Any, username: str, email: str
) -> None:
    await make_user("alice", email="alice@example.org")
    with pytest.raises(services.AccountError) as exc:
        await make_user(username, email=email)
    assert exc.value.field == ("username" if username == "ALICE" else "email")
    assert await User.count().run() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10"),
        ("x" * 257, "at most 256"),
        ("password123", "most common"),
        ("aaaaaaaaaaaaaaaa", "too few"),
        ("abababababababab", "too few"),
        ("qwertyuiopasd", "sequence"),
        ("bobby_tables!!", "username"),
    ],
)
async def test_weak_and_over_long_passwords_are_refused(
    make_user: Any, password: str, message: str
) -> None:
    with pytest.raises(services.AccountError) as exc:
        await make_user("bobby_tables", password=password)
    assert message in exc.value.message
    assert exc.value.field == "password"
    assert await User.count().run() == 0


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [
        ("ab", "ab@example.org", "username"),
        ("has space", "x@example.org", "username"),
        ("émile", "e@example.org", "username"),
        ("x" * 33, "x@example.org", "username"),
        ("valid_name", "not-an-address", "email"),
        ("valid_name", "a@b", "email"),
        ("valid_name", "a b@example.org", "email"),
    ],
)
async def test_invalid_usernames_and_emails_are_refused(
    nv_resources: Any, username: str, email: str, field: str
) -> None:
    with pytest.raises(services.AccountError) as exc:
        await services.create_user(
            nv_resources.settings,
            nv_resources.pm,
            username=username,
            email=email,
            password=PASSWORD,
        )
    assert exc.value.field == field


async def test_reserved_usernames_need_the_command_line(nv_resources: Any) -> None:
    settings, pm = nv_resources.settings, nv_resources.pm
    with pytest.raises(services.AccountError, match="reserved"):
        await services.create_user(
            settings, pm, username="admin", email="a@example.org", password=PASSWORD
        )
    user = await services.create_user(
        settings,
        pm,
        username="admin",
        email="a@example.org",
        password=PASSWORD,
        role="admin",
        allow_reserved=True,
    )
    assert user.role == "admin"


async def test_authenticate_by_username_or_email(nv_resources: Any, make_user: Any) -> None:
    await make_user("alice")
    pm = nv_resources.pm
    assert (await services.authenticate(pm, "ALICE", PASSWORD)).username == "alice"
    assert (await services.authenticate(pm, "alice@example.org", PASSWORD)).username == "alice"
    assert await services.authenticate(pm, "alice", "wrong password") is None
    assert await services.authenticate(pm, "nobody", PASSWORD) is None


async def test_inactive_users_cannot_authenticate(nv_resources: Any, make_user: Any) -> None:
    user = await make_user("alice")
    await User.update({User.is_active: False}).where(User.id == user.id).run()
    assert await services.authenticate(nv_resources.pm, "alice", PASSWORD) is None


async def test_hash_is_renewed_when_parameters_change(nv_resources: Any, make_user: Any) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    old = passwords.set_hasher(weak)
    try:
        user = await make_user("alice")
    finally:
        passwords.set_hasher(old)
    assert "m=8,t=1,p=1" in user.password_hash
    assert passwords.needs_rehash(user.password_hash)

    assert await services.authenticate(nv_resources.pm, "alice", PASSWORD) is not None
    row = await User.objects().where(User.id == user.id).first().run()
    assert row.password_hash != user.password_hash
    assert not passwords.needs_rehash(row.password_hash)
    # The new hash still checks out.
    assert await services.authenticate(nv_resources.pm, "alice", PASSWORD) is not None


async def test_change_password(nv_resources: Any, make_user: Any) -> None:
    user = await make_user("alice")
    settings = nv_resources.settings
    with pytest.raises(services.AccountError) as exc:
        await services.change_password(settings, user, "wrong", "a brand new secret")
    assert exc.value.field == "current_password"
    with pytest.raises(services.AccountError):
        await services.change_password(settings, user, PASSWORD, "short")
    await services.change_password(settings, user, PASSWORD, "a brand new secret")
    assert await services.authenticate(nv_resources.pm, "alice", PASSWORD) is None
    assert await services.authenticate(nv_resources.pm, "alice", "a brand new secret")


async def test_roles_rank_and_admin_passes_everything(make_user: Any) -> None:
    member = await make_user("mem")
    creator = await make_user("cre", role="creator")
    moderator = await make_user("mod_1", role="moderator")
    admin = await make_user("adm", role="admin")
    assert services.has_role(member, "member")
    assert not services.has_role(member, "creator")
    assert services.has_role(moderator, "creator")
    assert not services.has_role(creator, "moderator")
    assert all(services.has_role(admin, role) for role in services.ROLES)
    assert not services.has_role(None, "member")
    await services.set_role(member, "creator")
    assert (await services.get_user_by_username("mem")).role == "creator"
    with pytest.raises(services.AccountError):
        await services.set_role(member, "emperor")


async def test_profile_text_is_cleaned(make_user: Any) -> None:
    user = await make_user("alice")
    await services.update_profile(
        user, display_name=" Al\x00ice \u202e", bio="one\r\n\n\n\ntwo" + "x" * 600
    )
    row = await services.get_user_by_id(user.id)
    assert row.display_name == "Alice"
    assert row.bio.startswith("one\n\ntwo")
    assert len(row.bio) == 500


async def test_api_tokens_are_stored_hashed_and_revocable(make_user: Any) -> None:
    from nichevid.accounts.tables import ApiToken

    user = await make_user("alice")
    plain, info = await services.create_token(user, "upload script")
    assert plain.startswith("nv_")
    assert info.prefix == plain[:10]
    stored = await ApiToken.select(ApiToken.token_hash).run()
    assert plain not in str(stored)
    assert (await services.user_for_token(plain)).id == user.id
    assert [t.name for t in await services.list_tokens(user)] == ["upload script"]
    assert await services.revoke_token(user, info.id)
    assert not await services.revoke_token(user, info.id)
    assert await services.user_for_token(plain) is None
    assert await services.list_tokens(user) == []
    with pytest.raises(services.AccountError):
        await services.create_token(user, "  ")


class RefuseSpam:
    def __init__(self) -> None:
        self.created: list[str] = []
        self.logged_in: list[str] = []

    @hookimpl
    def signup_accept(self, username: str, email: str) -> str | None:
        return "Sign-ups from spam.example are closed." if email.endswith("@spam.example") else None

    @hookimpl
    async def user_created(self, user: Any) -> None:
        self.created.append(user.username)

    @hookimpl
    def user_logged_in(self, user: Any) -> None:
        self.logged_in.append(user.username)


@pytest.fixture
def spam_plugin() -> RefuseSpam:
    return RefuseSpam()


@pytest.fixture
def nv_plugins(spam_plugin: RefuseSpam) -> list[Any]:
    return [spam_plugin]


async def test_hook_signup_accept(nv_resources: Any, spam_plugin: RefuseSpam) -> None:
    settings, pm = nv_resources.settings, nv_resources.pm
    with pytest.raises(services.AccountError, match=r"spam\.example are closed"):
        await services.create_user(
            settings, pm, username="spammer", email="x@spam.example", password=PASSWORD
        )
    assert await User.count().run() == 0
    assert spam_plugin.created == []


async def test_hook_user_created(make_user: Any, spam_plugin: RefuseSpam) -> None:
    await make_user("alice")
    assert spam_plugin.created == ["alice"]


async def test_hook_user_logged_in(
    nv_resources: Any, make_user: Any, spam_plugin: RefuseSpam
) -> None:
    await make_user("alice")
    await services.authenticate(nv_resources.pm, "alice", "wrong password")
    assert spam_plugin.logged_in == []
    await services.authenticate(nv_resources.pm, "alice", PASSWORD)
    assert spam_plugin.logged_in == ["alice"]


async def test_hook_user_logged_in_waits_for_the_second_factor(
    nv_client: Any, nv_resources: Any, make_user: Any, spam_plugin: RefuseSpam
) -> None:
    import pyotp

    from nichevid.accounts import twofactor

    from .conftest import login, post_form

    alice = await make_user("alice")
    secret = await twofactor.begin(nv_resources.settings, alice)
    codes = await twofactor.confirm(nv_resources.settings, alice, pyotp.TOTP(secret).now())
    assert (await login(nv_client, "alice")).headers["location"] == "/login/code"
    assert spam_plugin.logged_in == []
    await post_form(nv_client, "/login/code", {"code": codes[0]})
    assert spam_plugin.logged_in == ["alice"]


class BrokenListener:
    @hookimpl
    def user_created(self, user: Any) -> None:
        raise RuntimeError("plugin bug")


async def test_a_failing_user_created_listener_does_not_break_sign_up(
    nv_resources: Any, make_user: Any, spam_plugin: RefuseSpam
) -> None:
    nv_resources.pm.register(BrokenListener())
    user = await make_user("alice")
    assert user.id is not None
    assert spam_plugin.created == ["alice"]
