"""Fixtures for the affiliates plugin's tests: the plugin loaded, people, a video, signing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from nichevid.testing.factories import ready_video
from nichevid_affiliates.postback import signature
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401
from tests.conftest import mark_plugin_tests
from tests.moderation.conftest import browser, form  # noqa: F401

SECRET = "network-shared-secret"
HTML = {"accept": "text/html"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs with the affiliates plugin loaded."""
    mark_plugin_tests(items, "affiliates", "affiliates")


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """EUR and USD, a 20 % platform cut, a blocked domain, a tag for example-shop.com."""
    return nv_settings_factory(
        plugin={
            "payments": {"currencies": ["EUR", "USD"], "platform_cut_percent": 20},
            "affiliates": {
                "blocked_domains": ["scam.example"],
                "append_params": {"example-shop.com": {"tag": "mytag-21"}},
                "postback_secret": SECRET,
            },
        }
    )


@pytest.fixture
async def people(make_user: Any) -> dict[str, Any]:
    """A creator, two members and an admin."""
    return {
        "cara": await make_user("cara", role="creator"),
        "ann": await make_user("ann"),
        "bob": await make_user("bob"),
        "root": await make_user("root", role="admin"),
    }


@pytest.fixture
async def video(people: dict[str, Any]) -> Any:
    """A ready public video of the creator."""
    return await ready_video(people["cara"], caption="my knitting #yarn")


def link_fields(*rows: tuple[str, str], most: int = 3) -> dict[str, str]:
    """The link rows of the edit form: ``rows`` first, the rest empty."""
    padded = (list(rows) + [("", "")] * most)[:most]
    fields: dict[str, str] = {}
    for n, (label, url) in enumerate(padded, start=1):
        fields[f"affiliates_label_{n}"] = label
        fields[f"affiliates_url_{n}"] = url
    return fields


async def edit(client: Any, video: Any, *rows: tuple[str, str], **extra: str) -> Any:
    """Save the video's edit form with these link rows (signed in as its owner)."""
    data = {"caption": video.caption, "visibility": "public", **link_fields(*rows), **extra}
    return await form(client, f"/upload/edit/{video.slug}", data)


def signed(payload: Any, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """A postback body and its headers, signed as a network does."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "content-type": "application/json",
        "x-affiliate-signature": f"sha256={signature(secret, body)}",
    }
    return body, headers
