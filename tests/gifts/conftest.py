"""Fixtures for the gifts plugin's tests: the plugin loaded, people, a video, coins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments.ledger import Entry, Posted, Transaction, post
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401
from tests.conftest import mark_plugin_tests
from tests.moderation.conftest import browser, form  # noqa: F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs with the gifts plugin loaded."""
    mark_plugin_tests(items, "gifts", "gifts")


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """EUR and USD, a 20 % platform cut, the test provider on, two coin packs."""
    return nv_settings_factory(
        plugin={
            "payments": {"currencies": ["EUR", "USD"], "platform_cut_percent": 20},
            "gifts": {
                "coin_packs": [
                    {"name": "small", "coins": 100, "price": 99, "currency": "EUR"},
                    {"name": "big", "coins": 1000, "price": 899, "currency": "EUR"},
                ]
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


@pytest.fixture
def fund(nv_resources: Any) -> Callable[..., Any]:
    """``await fund(user_id, coins)``: coins in a wallet, issued as a purchase would."""
    counter = iter(range(1_000_000))

    async def give(user_id: int, amount: int) -> Posted:
        entries = [Entry(acc.issuance(), -amount), Entry(acc.wallet(user_id, "coins"), amount)]
        key = f"fund:{user_id}:{next(counter)}"
        return await post(nv_resources.settings, Transaction("top_up", key, entries))

    return give
