"""Stripe: Checkout sessions for payments, signed webhooks verified with the stripe library.

Registered by :mod:`nichevid.default_payments` once ``plugin.payments.stripe_api_key``
and ``stripe_webhook_secret`` are set. Point a Stripe webhook endpoint at
``<public_url>/payments/webhooks/stripe`` with the events
``checkout.session.completed``, ``checkout.session.async_payment_succeeded`` and
``charge.refunded``. Each session carries the checkout token as
``client_reference_id`` and, on its payment, as ``metadata.checkout``, which is how
later events find their checkout. Other events are stored and ignored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import stripe

from nichevid.payments.providers import (
    PAID,
    REFUNDED,
    CheckoutRequest,
    PaymentProvider,
    ProviderEvent,
    WebhookError,
)
from nichevid.payments.settings import payment_settings

SIGNATURE_HEADER = "stripe-signature"


class StripeProvider(PaymentProvider):
    """Card and wallet payments through Stripe Checkout."""

    name = "stripe"
    label = "Stripe"

    def __init__(self, api_key: str, webhook_secret: str, currencies: tuple[str, ...]) -> None:
        self._api_key = api_key
        self._webhook_secret = webhook_secret
        self.currencies = currencies

    @classmethod
    def from_settings(cls, settings: Any) -> StripeProvider | None:
        """The provider, or ``None`` while its keys are not both set."""
        config = payment_settings(settings)
        key, secret = config.stripe_api_key.reveal(), config.stripe_webhook_secret.reveal()
        if not key or not secret:
            return None
        return cls(key, secret, tuple(config.currencies))

    async def start_checkout(self, request: CheckoutRequest) -> tuple[str, str]:
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": request.token,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "metadata": {"checkout": request.token},
            "payment_intent_data": {"metadata": {"checkout": request.token}},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        # The stripe client is synchronous: keep the event loop free while it calls out.
        session = await asyncio.to_thread(
            stripe.checkout.Session.create, api_key=self._api_key, **params
        )
        return str(session.url), str(session.id)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        try:
            # Verifies the signature and its age, then parses the body.
            stripe.Webhook.construct_event(
                body, headers.get(SIGNATURE_HEADER), self._webhook_secret
            )
        except stripe.SignatureVerificationError as exc:
            reason = exc.user_message or exc
            raise WebhookError(f"the Stripe signature does not verify: {reason}") from None
        except (ValueError, UnicodeDecodeError):
            raise WebhookError("the body is not JSON") from None
        data = json.loads(body)
        try:
            return [_event(data)]
        except (KeyError, TypeError, AttributeError):
            raise WebhookError("the Stripe event lacks the fields nichevid reads") from None


def _event(data: dict[str, Any]) -> ProviderEvent:
    kind, obj = data["type"], data["data"]["object"]
    event_id = str(data["id"])
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        # A delayed method (a bank debit) completes unpaid first and succeeds later.
        paid = obj.get("payment_status") in ("paid", "no_payment_required")
        return ProviderEvent(
            id=event_id,
            type=PAID if paid else f"stripe.{kind}.unpaid",
            checkout=str(obj.get("client_reference_id") or obj["metadata"]["checkout"]),
            amount=int(obj["amount_total"]),
            currency=str(obj["currency"]).upper(),
            provider_ref=str(obj["id"]),
        )
    checkout = str((obj.get("metadata") or {}).get("checkout", ""))
    if kind == "charge.refunded":
        # A partial refund is left to the operator; a full one reverses the credit.
        full = obj.get("refunded") and obj.get("amount_refunded") == obj.get("amount")
        return ProviderEvent(
            id=event_id,
            type=REFUNDED if full else "stripe.charge.partially_refunded",
            checkout=checkout,
            amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency", "")).upper(),
        )
    return ProviderEvent(
        id=event_id, type=f"stripe.{kind}", checkout=checkout, amount=0, currency=""
    )
