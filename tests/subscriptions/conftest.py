"""Fixtures for the subscriptions plugin's tests: the plugin loaded, EUR and USD with a
20 % platform cut, a creator with two tiers, members, and test-provider events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from nichevid.payments import events
from nichevid.payments.providers import provider
from nichevid.payments.test_provider import SIGNATURE_HEADER, TestProvider
from nichevid_subscriptions import services, tiers
from nichevid_subscriptions.tables import Subscription
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401
from tests.conftest import mark_plugin_tests

MONTH = 30 * 86400


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs with the subscriptions plugin loaded."""
    mark_plugin_tests(items, "subscriptions", "subscriptions")


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """EUR and USD, a 20 % platform cut, the test provider on, two days of grace."""
    return nv_settings_factory(
        plugin={
            "payments": {"currencies": ["EUR", "USD"], "platform_cut_percent": 20},
            "subscriptions": {"grace_days": 2, "renewal_leeway_hours": 1},
        }
    )


def with_stripe(nv_settings_factory: Callable[..., Any]) -> Any:
    """EUR and USD, a 20 % cut, the test provider and Stripe with test keys."""
    from tests.payments.test_stripe import SECRET

    return nv_settings_factory(
        plugin={
            "payments": {
                "currencies": ["EUR", "USD"],
                "platform_cut_percent": 20,
                "stripe_api_key": "sk_test_123",
                "stripe_webhook_secret": SECRET,
            }
        }
    )


@pytest.fixture
async def people(make_user: Any) -> dict[str, Any]:
    """A creator and two members."""
    return {
        "cara": await make_user("cara", role="creator"),
        "ann": await make_user("ann"),
        "bob": await make_user("bob"),
    }


@pytest.fixture
async def two_tiers(nv_resources: Any, people: dict[str, Any]) -> dict[str, Any]:
    """Cara's tiers: Fan (level 1, 4.99 EUR) and Patron (level 2, 9.00 EUR)."""
    settings = nv_resources.settings
    fan = await tiers.create_tier(
        settings, people["cara"], tiers.TierInput("Fan", "4.99", "EUR", "Extras", "Fan")
    )
    patron = await tiers.create_tier(
        settings, people["cara"], tiers.TierInput("Patron", "9", "EUR", "All", "Patron", "2")
    )
    return {"fan": fan, "patron": patron}


async def form(client: Any, url: str, data: dict[str, str], **kwargs: Any) -> Any:
    """POST a form as a browser does (CSRF token included)."""
    token = await csrf_token(client)
    headers = {"accept": "text/html", **kwargs.pop("headers", {})}
    return await client.post(url, data={**data, "_csrf_token": token}, headers=headers, **kwargs)


def test_provider_of(resources: Any) -> TestProvider:
    found = provider(resources, "test")
    assert isinstance(found, TestProvider)
    return found


test_provider_of.__test__ = False  # type: ignore[attr-defined]


def event_body(
    sub: Subscription,
    type_: str,
    *,
    event_id: str,
    period_end: int = 0,
    amount: int | None = None,
) -> bytes:
    """A test-provider notification about ``sub``'s checkout."""
    data: dict[str, Any] = {
        "id": event_id,
        "type": type_,
        "checkout": sub.checkout_token,
        "amount": int(sub.price) if amount is None else amount,
        "currency": str(sub.currency),
    }
    if period_end:
        data["period_start"], data["period_end"] = period_end - MONTH, period_end
    return json.dumps(data).encode()


async def deliver(resources: Any, body: bytes) -> list[str]:
    """Send a signed notification through the webhook path."""
    signature = test_provider_of(resources).sign(body)
    return await events.receive(resources, "test", body, {SIGNATURE_HEADER: signature})


async def started(resources: Any, member: Any, tier: Any) -> Subscription:
    """A pending subscription of ``member`` to ``tier`` (checkout started, not paid)."""
    sub, url = await services.subscribe(resources, member, int(tier.id), "test")
    assert url.startswith("/payments/test/")
    return sub


async def subscribed(
    resources: Any, member: Any, tier: Any, period_end: int | None = None
) -> Subscription:
    """A subscription whose first month the provider reported paid."""
    sub = await started(resources, member, tier)
    end = period_end or int(time.time()) + MONTH
    body = event_body(sub, "subscription.activated", event_id=f"evt_act_{sub.id}", period_end=end)
    assert await deliver(resources, body) == ["applied"]
    return await fresh(sub)


async def fresh(sub: Subscription) -> Subscription:
    """The subscription's row as stored now."""
    row = await Subscription.objects().where(Subscription.id == sub.id).first()
    assert row is not None
    return row
