"""Helpers for the social tests: members, ready videos as rows, signing in both ways."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from nichevid.media.tables import Video
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import csrf_token, login

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hashes() -> Iterator[None]:
    """Cheap argon2id parameters: the tests exercise the social layer, not hashing."""
    from argon2 import PasswordHasher

    from nichevid.accounts import passwords

    old = passwords.set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.set_hasher(old)


@pytest.fixture
def make_user(nv_resources: Any) -> Any:
    """``await make_user("ada", role="creator")``: an account made through the service."""
    from nichevid.accounts import services

    async def make(username: str, role: str = "member") -> Any:
        return await services.create_user(
            nv_resources.settings,
            nv_resources.pm,
            username=username,
            email=f"{username}@example.org",
            password=PASSWORD,
            role=role,
            allow_reserved=True,
        )

    return make


@pytest.fixture
def make_video() -> Any:
    """``await make_video(owner, **fields)``: a ready public video with one rendition."""

    async def make(owner: Any, **fields: Any) -> Video:
        fields = {"caption": f"clip of {owner.username} #social", "hashtags": ["social"], **fields}
        return await ready_video(owner, **fields)

    return make


async def bearer(user: Any) -> dict[str, str]:
    """Headers carrying a fresh API token of ``user``."""
    from nichevid.accounts.tokens import create_token

    plain, _ = await create_token(user, "social tests")
    return {"Authorization": f"Bearer {plain}"}


async def browser(client: Any, user: Any) -> dict[str, str]:
    """Sign ``user`` in on ``client``'s session; the headers an htmx request sends."""
    response = await login(client, user.username, PASSWORD)
    assert response.status_code in (200, 303), response.text
    return {"x-csrftoken": await csrf_token(client), "HX-Request": "true"}


async def signed_in(client: Any, user: Any, how: str) -> dict[str, str]:
    """Headers for ``user``'s API requests: a Bearer token, or a session plus CSRF."""
    if how == "bearer":
        return await bearer(user)
    headers = await browser(client, user)
    headers.pop("HX-Request")
    return headers


@contextlib.contextmanager
def statements_of_this_task(engine: Any) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` runs for the current task (the test client runs the
    app in the test's task; background job runners have tasks of their own)."""
    seen: list[str] = []
    task = asyncio.current_task()
    cls = type(engine)  # PostgresEngine has slots: wrap the method on the class
    original = cls.run_querystring

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        if self is engine and asyncio.current_task() is task:
            seen.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    cls.run_querystring = counting  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        cls.run_querystring = original  # type: ignore[method-assign]
