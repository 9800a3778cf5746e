"""Fixtures for the moderation plugin's tests: the plugin loaded, people, a video, clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401
from tests.conftest import mark_plugin_tests


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs with the moderation plugin loaded."""
    mark_plugin_tests(items, "moderation", "moderation")


@pytest.fixture
async def people(make_user: Any) -> dict[str, Any]:
    """A creator, two members, two moderators and an admin."""
    return {
        "cara": await make_user("cara", role="creator"),
        "ann": await make_user("ann"),
        "bob": await make_user("bob"),
        "mod": await make_user("mod", role="moderator"),
        "mia": await make_user("mia", role="moderator"),
        "root": await make_user("root", role="admin"),
    }


@pytest.fixture
async def video(people: dict[str, Any]) -> Any:
    """A ready public video of the creator."""
    return await ready_video(people["cara"], caption="my knitting #yarn")


async def form(client: Any, url: str, data: dict[str, str], **kwargs: Any) -> Any:
    """POST a form as a browser does (CSRF token included)."""
    token = await csrf_token(client)
    headers = {"accept": "text/html", **kwargs.pop("headers", {})}
    return await client.post(url, data={**data, "_csrf_token": token}, headers=headers, **kwargs)


@contextlib.asynccontextmanager
async def browser(client: Any, username: str | None, port: int) -> AsyncIterator[httpx.AsyncClient]:
    """A separate client on the running app (own cookies), signed in as ``username``."""
    transport = httpx.ASGITransport(app=client.app, client=("127.0.0.1", port))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as other:
        other.app = client.app  # type: ignore[attr-defined]
        if username is not None:
            response = await login(other, username)
            assert response.status_code in (200, 303), response.text
        yield other
