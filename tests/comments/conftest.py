"""Factories for the comments and search tests: users, ready videos as rows, clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from nichevid.media.tables import Video
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401


@pytest.fixture
def make_video(nv_resources: Any) -> Any:
    """``await make_video(owner, caption=..., **fields)``: a ready public video row."""

    async def make(owner: Any, caption: str = "a clip", **fields: Any) -> Video:
        from nichevid.media.services import parse_hashtags

        fields = {"caption": caption, "hashtags": parse_hashtags(caption), **fields}
        return await ready_video(owner, **fields)

    return make


async def bearer(user: Any) -> dict[str, str]:
    """Headers of a fresh API token of ``user``."""
    from nichevid.accounts.tokens import create_token

    plain, _ = await create_token(user, "comment tests")
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
