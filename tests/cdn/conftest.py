"""Fixtures for the CDN plugin's tests: the plugin loaded, a CDN address, people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401
from tests.conftest import mark_plugin_tests

CDN = "https://cdn.example.com/media"
SECRET = "edge-secret"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs with the CDN plugin loaded."""
    mark_plugin_tests(items, "cdn", "cdn")


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """The CDN at ``CDN``, signing with nginx's secure_link."""
    return nv_settings_factory(
        plugin={"cdn": {"base_url": CDN, "signing": "nginx", "secret": SECRET}}
    )
