"""Helpers for the captions tests: members, ready videos as rows, WebVTT files, sign-in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from nichevid.media.tables import Video
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401

# Two cues inside the 3-second videos ``make_video`` makes.
VTT = b"WEBVTT\n\n00:00.500 --> 00:01.500\nHello\n\n00:01.500 --> 00:02.800\nWorld\n"
VTT_ES = b"WEBVTT\n\n00:00.500 --> 00:02.000\nHola\n"


@pytest.fixture
def nv_settings(nv_settings_factory: Any, request: pytest.FixtureRequest) -> Any:
    """No anonymous page cache (pages are loaded before and after changes); the test's
    parameter, if any, is the ``[plugin.captions]`` section."""
    return nv_settings_factory(
        server={"page_cache_seconds": 0}, plugin={"captions": getattr(request, "param", {})}
    )


@pytest.fixture(params=["bearer", "session"])
def how(request: pytest.FixtureRequest) -> str:
    """How the caller authenticates: an API token or a browser session."""
    return str(request.param)


@pytest.fixture
def make_video(nv_resources: Any) -> Any:
    """``await make_video(owner, **fields)``: a ready public 3-second video row."""

    async def make(owner: Any, **fields: Any) -> Video:
        return await ready_video(owner, **{"caption": "a clip #test", **fields})

    return make


async def bearer(user: Any) -> dict[str, str]:
    """Headers of a fresh API token of ``user``."""
    from nichevid.accounts.tokens import create_token

    plain, _ = await create_token(user, "captions tests")
    return {"Authorization": f"Bearer {plain}"}


async def signed_in(client: Any, user: Any, how: str) -> dict[str, str]:
    """Headers for ``user``: a Bearer token, or the client's session plus the CSRF header."""
    if how == "bearer":
        return await bearer(user)
    response = await login(client, user.username)
    assert response.status_code in (200, 303), response.text
    return {"x-csrftoken": await csrf_token(client)}


@contextlib.asynccontextmanager
async def other_client(client: Any, port: int = 50001) -> AsyncIterator[httpx.AsyncClient]:
    """Another client on the same running app, with no cookies (another browser)."""
    transport = httpx.ASGITransport(app=client.app, client=("127.0.0.1", port))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as other:
        other.app = client.app  # type: ignore[attr-defined]
        yield other


async def caption_keys(resources: Any, video: Video) -> list[str]:
    """Every stored caption file of ``video``."""
    prefix = f"videos/{video.slug}/captions/"
    return sorted([obj.key async for obj in resources.storage.list(prefix)])


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
