"""Helpers for the payments tests: an instance taking EUR and USD, members, a funded wallet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments.ledger import Entry, Posted, Transaction, post
from tests.accounts.conftest import fast_hashes, login, make_user, post_form  # noqa: F401


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """EUR and USD, a 20 % platform cut, the test provider on."""
    return nv_settings_factory(
        plugin={"payments": {"currencies": ["EUR", "USD"], "platform_cut_percent": 20}}
    )


@pytest.fixture
def fund(nv_resources: Any) -> Callable[..., Any]:
    """``await fund(user_id, amount, unit="coins")``: put money in a wallet, as a provider would."""
    counter = iter(range(1_000_000))

    async def give(user_id: int, amount: int, unit: str = "coins") -> Posted:
        source = acc.issuance(unit) if unit == "coins" else acc.clearing("test", unit)
        entries = [Entry(source, -amount), Entry(acc.wallet(user_id, unit), amount)]
        key = f"fund:{user_id}:{unit}:{next(counter)}"
        return await post(nv_resources.settings, Transaction("top_up", key, entries))

    return give
