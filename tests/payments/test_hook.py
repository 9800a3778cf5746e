"""The ``register_payment_providers`` hook: a third-party provider from checkout to credit."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import checkout
from nichevid.payments.ledger import balance
from nichevid.payments.providers import (
    CheckoutRequest,
    PaymentProvider,
    ProviderEvent,
    WebhookError,
    provider,
)
from nichevid.payments.test_provider import TestProvider
from nichevid.plugins import hookimpl
from tests.accounts.conftest import login, post_form


class FakePay(PaymentProvider):
    """A provider plugin as a third party writes one: HMAC-signed JSON webhooks."""

    name = "fakepay"
    label = "FakePay"
    currencies = ("EUR",)
    secret = b"fakepay-secret"

    async def start_checkout(self, request: CheckoutRequest) -> tuple[str, str]:
        return f"https://pay.example/{request.token}", f"fp_{request.token}"

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        wanted = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(wanted, headers.get("x-fakepay", "")):
            raise WebhookError("bad FakePay signature")
        data = json.loads(body)
        return [ProviderEvent(data["id"], data["type"], data["ref"], data["cents"], "EUR")]


class FakePayPlugin:
    @hookimpl
    def register_payment_providers(self, settings: Any) -> dict[str, Any]:
        return {"fakepay": FakePay()}


async def test_hook_register_payment_providers(nv_client: Any, make_user: Any) -> None:
    client = nv_client
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    await login(client, "ada")
    page = await client.get("/wallet", headers={"accept": "text/html"})
    assert "FakePay" in page.text
    started = await post_form(
        client, "/wallet/top-up", {"amount": "3", "currency": "EUR", "provider": "fakepay"}
    )
    assert started.status_code == 303
    token = started.headers["location"].rsplit("/", 1)[1]
    assert started.headers["location"] == f"https://pay.example/{token}"
    body = json.dumps({"id": "fp1", "type": "payment.succeeded", "ref": token, "cents": 300})
    sig = hmac.new(FakePay.secret, body.encode(), hashlib.sha256).hexdigest()
    bad = await client.post("/payments/webhooks/fakepay", content=body, headers={"x-fakepay": "0"})
    assert bad.status_code == 400
    ok = await client.post("/payments/webhooks/fakepay", content=body, headers={"x-fakepay": sig})
    assert ok.json() == {"events": ["applied"]}
    assert await balance(acc.wallet(ada.id, "EUR")) == 300
    assert await balance(acc.clearing("fakepay", "EUR")) == -300
    assert (await checkout.get(token)).provider_ref == f"fp_{token}"  # type: ignore[union-attr]
    # The test provider is still there, beside it.
    assert isinstance(provider(resources, "test"), TestProvider)


@pytest.fixture
def nv_plugins() -> list[Any]:
    """Every app in this module also has FakePay, a provider registered by a plugin."""
    return [FakePayPlugin()]
