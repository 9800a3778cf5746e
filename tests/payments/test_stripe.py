"""The Stripe provider: Checkout sessions, and webhooks signed with Stripe's own scheme.

No network: the session call is replaced by a recorder, and webhook bodies are signed
with ``stripe.WebhookSignature.generate_signature_header`` and a test secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import stripe

from nichevid.payments import accounts as acc
from nichevid.payments import checkout
from nichevid.payments.ledger import balance
from nichevid.payments.providers import provider
from nichevid.payments.stripe_provider import StripeProvider
from nichevid.payments.tables import LedgerTransaction, PaymentEvent

SECRET = "whsec_test_secret"


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    """EUR, the test provider and Stripe with test keys."""
    return nv_settings_factory(
        plugin={
            "payments": {
                "currencies": ["EUR", "USD"],
                "stripe_api_key": "sk_test_123",
                "stripe_webhook_secret": SECRET,
            }
        }
    )


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``stripe.checkout.Session.create`` call, answered with a fake session."""
    calls: list[dict[str, Any]] = []

    def create(**params: Any) -> Any:
        calls.append(params)
        return SimpleNamespace(id="cs_test_1", url="https://checkout.stripe.com/c/pay/cs_test_1")

    monkeypatch.setattr(stripe.checkout.Session, "create", create)
    return calls


def stripe_event(event_id: str, kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}
    ).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret)
    return {"stripe-signature": header}


def session_completed(token: str, amount: int = 1999, status: str = "paid") -> dict[str, Any]:
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "client_reference_id": token,
        "metadata": {"checkout": token},
        "amount_total": amount,
        "currency": "eur",
        "payment_status": status,
    }


async def test_stripe_checkout_and_webhooks(
    nv_client: Any, make_user: Any, sessions: list[dict[str, Any]]
) -> None:
    resources = nv_client.app.state.resources
    assert isinstance(provider(resources, "stripe"), StripeProvider)
    ada = await make_user("ada")
    row, url = await checkout.start(
        resources,
        user_id=ada.id,
        provider_name="stripe",
        amount=1999,
        currency="EUR",
        base_url="https://nv.example",
    )
    assert url == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert (await checkout.get(row.token)).provider_ref == "cs_test_1"  # type: ignore[union-attr]
    [call] = sessions
    assert call["api_key"] == "sk_test_123"
    assert call["client_reference_id"] == row.token
    assert call["line_items"][0]["price_data"]["unit_amount"] == 1999
    assert call["line_items"][0]["price_data"]["currency"] == "eur"
    assert call["success_url"] == f"https://nv.example/wallet?paid={row.token}"

    # A delayed payment: completed unpaid first (ignored), paid later.
    body = stripe_event(
        "evt_1", "checkout.session.completed", session_completed(row.token, status="unpaid")
    )
    answer = await nv_client.post("/payments/webhooks/stripe", content=body, headers=signed(body))
    assert answer.json() == {"events": ["ignored"]}
    assert await balance(acc.wallet(ada.id, "EUR")) == 0
    body = stripe_event(
        "evt_2", "checkout.session.async_payment_succeeded", session_completed(row.token)
    )
    for expected in ("applied", "duplicate", "duplicate"):
        answer = await nv_client.post(
            "/payments/webhooks/stripe", content=body, headers=signed(body)
        )
        assert answer.json() == {"events": [expected]}
    assert await balance(acc.wallet(ada.id, "EUR")) == 1999
    assert await balance(acc.clearing("stripe", "EUR")) == -1999

    partial = {
        "metadata": {"checkout": row.token},
        "amount": 1999,
        "amount_refunded": 500,
        "refunded": False,
        "currency": "eur",
    }
    body = stripe_event("evt_3", "charge.refunded", partial)
    answer = await nv_client.post("/payments/webhooks/stripe", content=body, headers=signed(body))
    assert answer.json() == {"events": ["ignored"]}
    full = {**partial, "amount_refunded": 1999, "refunded": True}
    body = stripe_event("evt_4", "charge.refunded", full)
    answer = await nv_client.post("/payments/webhooks/stripe", content=body, headers=signed(body))
    assert answer.json() == {"events": ["applied"]}
    assert await balance(acc.wallet(ada.id, "EUR")) == 0
    assert (await checkout.get(row.token)).status == "refunded"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b'{"id": "evt_1"}', {"stripe-signature": "t=1,v1=00"}, "signature does not verify"),
        (b'{"id": "evt_1"}', {}, "signature does not verify"),
        (b"not json", None, "not JSON"),
        (b'{"id": "evt_1", "type": "checkout.session.completed"}', None, "lacks the fields"),
    ],
)
async def test_bad_stripe_webhooks_change_nothing(
    nv_client: Any, body: bytes, headers: dict[str, str] | None, message: str
) -> None:
    sent = signed(body) if headers is None else headers
    answer = await nv_client.post("/payments/webhooks/stripe", content=body, headers=sent)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    # Signed with another secret: refused too.
    other = await nv_client.post(
        "/payments/webhooks/stripe", content=body, headers=signed(body, "whsec_other")
    )
    assert other.status_code == 400
    assert await PaymentEvent.count() == 0
    assert await LedgerTransaction.count() == 0


async def test_stripe_is_off_without_both_keys(nv_settings_factory: Callable[..., Any]) -> None:
    settings = nv_settings_factory(plugin={"payments": {"stripe_api_key": "sk_test_123"}})
    assert StripeProvider.from_settings(settings) is None


async def test_refunds_and_lost_disputes_find_the_checkout_by_payment_intent(
    nv_client: Any, make_user: Any, sessions: list[dict[str, Any]]
) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    rows = []
    for _ in range(2):
        row, _url = await checkout.start(
            resources,
            user_id=ada.id,
            provider_name="stripe",
            amount=1999,
            currency="EUR",
            base_url="https://nv.example",
        )
        rows.append(row)

    async def send(event_id: str, kind: str, obj: dict[str, Any]) -> list[str]:
        body = stripe_event(event_id, kind, obj)
        answer = await nv_client.post(
            "/payments/webhooks/stripe", content=body, headers=signed(body)
        )
        return list(answer.json()["events"])

    for n, row in enumerate(rows, 1):
        paid = {**session_completed(row.token), "payment_intent": f"pi_{n}"}
        assert await send(f"evt_paid_{n}", "checkout.session.completed", paid) == ["applied"]
    assert await balance(acc.wallet(ada.id, "EUR")) == 2 * 1999
    # Neither carries the checkout token: the payment intent finds it.
    charge = {"id": "ch_1", "payment_intent": "pi_1", "metadata": {}, "currency": "eur"}
    refunded = {**charge, "amount": 1999, "amount_refunded": 1999, "refunded": True}
    assert await send("evt_refund", "charge.refunded", refunded) == ["applied"]
    assert (await checkout.get(rows[0].token)).status == "refunded"  # type: ignore[union-attr]
    lost = {"id": "dp_1", "charge": "ch_2", "payment_intent": "pi_2", "amount": 1999,
            "currency": "eur", "status": "lost", "metadata": {}}  # fmt: skip
    assert await send("evt_lost", "charge.dispute.closed", lost) == ["applied"]
    assert (await checkout.get(rows[1].token)).status == "charged_back"  # type: ignore[union-attr]
    assert await balance(acc.wallet(ada.id, "EUR")) == 0
    assert await balance(acc.clearing("stripe", "EUR")) == 0
