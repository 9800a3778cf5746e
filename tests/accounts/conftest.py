"""Helpers for the accounts tests: users, CSRF tokens, logging in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hashes() -> Iterator[None]:
    """Cheap argon2id parameters: the tests exercise the logic, not the cost."""
    from argon2 import PasswordHasher

    from nichevid.accounts import passwords

    old = passwords.set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.set_hasher(old)


async def csrf_token(client: Any) -> str:
    """The CSRF token of the client's cookie, fetching a page first when there is none."""
    token = client.cookies.get("nv_csrf")
    if not token:
        await client.get("/login")
        token = client.cookies.get("nv_csrf")
    assert token, "no CSRF cookie was set"
    return str(token)


async def post_form(client: Any, url: str, data: dict[str, str], **kwargs: Any) -> Any:
    """POST a form the way a browser does, CSRF token included."""
    headers = {"accept": "text/html", **kwargs.pop("headers", {})}
    token = await csrf_token(client)
    return await client.post(url, data={**data, "_csrf_token": token}, headers=headers, **kwargs)


async def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Log in through the form; return the response."""
    return await post_form(client, "/login", {"username": username, "password": password})


@pytest.fixture
def make_user(nv_resources: Any) -> Any:
    """``await make_user("alice", role="creator")`` creates an account through the service."""
    from nichevid.accounts import services

    async def make(
        username: str = "alice",
        *,
        email: str | None = None,
        password: str = PASSWORD,
        role: str = "member",
        **extra: Any,
    ) -> Any:
        return await services.create_user(
            nv_resources.settings,
            nv_resources.pm,
            username=username,
            email=email or f"{username}@example.org",
            password=password,
            role=role,
            allow_reserved=True,
            **extra,
        )

    return make
