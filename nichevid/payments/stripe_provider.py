"""Stripe: Checkout sessions for payments, signed webhooks verified with the stripe library.

Registered by :mod:`nichevid.default_payments` once ``plugin.payments.stripe_api_key``
and ``stripe_webhook_secret`` are set. Point a Stripe webhook endpoint at
``<public_url>/payments/webhooks/stripe`` with the events
``checkout.session.completed``, ``checkout.session.async_payment_succeeded``,
``charge.refunded`` and ``charge.dispute.closed``. Each session carries the checkout
token as ``client_reference_id`` and, on its payment, as ``metadata.checkout``, which
is how later events find their checkout. Every payment is stored with its payment
intent (``payment_ref``): a refund or a lost dispute names the payment intent it
undoes, which finds the checkout (and a subscription's period) when the charge carries
no token, as for a subscription's invoices. Other events are stored and ignored.

Subscriptions (checkouts with ``interval="month"``) use Checkout in subscription mode;
the subscription carries the token in its ``metadata.checkout``. Add the events
``invoice.paid``, ``invoice.payment_failed``, ``customer.subscription.created``,
``customer.subscription.updated`` and ``customer.subscription.deleted``: they become
the core's ``subscription.*`` events (activation, renewal, trial, failed payment,
cancellation at the period's end, end). A change of price at once is invoiced with its
proration; that ``invoice.paid`` (billing reason ``subscription_update``) becomes
``subscription.changed``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import stripe

from nichevid.payments.providers import (
    CHARGED_BACK,
    PAID,
    REFUNDED,
    SUBSCRIPTION_ACTIVATED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_CHANGED,
    SUBSCRIPTION_ENDED,
    SUBSCRIPTION_PAYMENT_FAILED,
    SUBSCRIPTION_RENEWED,
    SUBSCRIPTION_TRIAL,
    CheckoutRequest,
    PaymentProvider,
    ProviderEvent,
    SubscriptionChange,
    WebhookError,
)
from nichevid.payments.settings import payment_settings

SIGNATURE_HEADER = "stripe-signature"


class StripeProvider(PaymentProvider):
    """Card and wallet payments through Stripe Checkout."""

    name = "stripe"
    label = "Stripe"
    recurring = True

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
        if request.interval:
            params["mode"] = "subscription"
            params["line_items"][0]["price_data"]["recurring"] = {"interval": request.interval}
            del params["payment_intent_data"]
            params["subscription_data"] = {"metadata": {"checkout": request.token}}
        # The stripe client is synchronous: keep the event loop free while it calls out.
        session = await asyncio.to_thread(
            stripe.checkout.Session.create, api_key=self._api_key, **params
        )
        return str(session.url), str(session.id)

    async def cancel_subscription(self, provider_ref: str) -> None:
        try:
            await asyncio.to_thread(
                stripe.Subscription.modify,
                provider_ref,
                api_key=self._api_key,
                cancel_at_period_end=True,
            )
        except stripe.StripeError as exc:
            reason = exc.user_message or exc
            raise WebhookError(f"Stripe did not cancel the subscription: {reason}", 502) from None

    async def change_subscription(self, change: SubscriptionChange) -> list[ProviderEvent]:
        """Put the subscription's one item on the new monthly price.

        At once: Stripe invoices the proration now (``always_invoice``) and its
        ``invoice.paid`` becomes the ``subscription.changed`` event; otherwise nothing is
        prorated and the next renewal's invoice carries the new price.
        """

        def modify() -> None:
            found = stripe.Subscription.retrieve(change.provider_ref, api_key=self._api_key)
            item = found["items"]["data"][0]
            price = item["price"]
            product = (
                price["product"] if isinstance(price["product"], str) else price["product"]["id"]
            )
            stripe.Subscription.modify(
                change.provider_ref,
                api_key=self._api_key,
                items=[
                    {
                        "id": item["id"],
                        "price_data": {
                            "currency": change.currency.lower(),
                            "unit_amount": change.amount,
                            "product": product,
                            "recurring": {"interval": "month"},
                        },
                    }
                ],
                proration_behavior="always_invoice" if change.at_once else "none",
                cancel_at_period_end=False,
            )

        try:
            await asyncio.to_thread(modify)
        except stripe.StripeError as exc:
            reason = exc.user_message or exc
            raise WebhookError(f"Stripe did not change the subscription: {reason}", 502) from None
        except (KeyError, IndexError, TypeError):
            raise WebhookError("Stripe answered without the subscription's item", 502) from None
        return []

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
    if kind.startswith("invoice."):
        return _invoice(event_id, kind, obj)
    if kind.startswith("customer.subscription."):
        return _subscription(event_id, kind, obj)
    if obj.get("mode") == "subscription":
        # The session only opens the subscription; its invoices carry the money.
        return ProviderEvent(
            id=event_id, type=f"stripe.{kind}.subscription", checkout="", amount=0, currency=""
        )
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
            payment_ref=str(obj.get("payment_intent") or ""),
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
            payment_ref=str(obj.get("payment_intent") or obj.get("id") or ""),
        )
    if kind == "charge.dispute.closed":
        # The money is gone for good only once the dispute is lost; while it is open
        # the member keeps what they bought, and a won dispute changes nothing.
        lost = obj.get("status") == "lost"
        return ProviderEvent(
            id=event_id,
            type=CHARGED_BACK if lost else f"stripe.charge.dispute.{obj.get('status')}",
            checkout=checkout,
            amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency", "")).upper(),
            payment_ref=str(obj.get("payment_intent") or obj.get("charge") or ""),
        )
    return ProviderEvent(
        id=event_id, type=f"stripe.{kind}", checkout=checkout, amount=0, currency=""
    )


def _invoice(event_id: str, kind: str, obj: dict[str, Any]) -> ProviderEvent:
    # Newer API versions move the subscription under ``parent``.
    details = obj.get("subscription_details") or (obj.get("parent") or {}).get(
        "subscription_details"
    )
    if not details:
        return ProviderEvent(id=event_id, type=f"stripe.{kind}", checkout="", amount=0, currency="")
    lines = obj["lines"]["data"]
    whole = {"start": obj.get("period_start", 0), "end": obj.get("period_end", 0)}
    period = lines[0]["period"] if lines else whole
    amount = int(obj.get("amount_paid") or 0) if kind == "invoice.paid" else int(obj["amount_due"])
    first = obj.get("billing_reason") == "subscription_create"
    if kind == "invoice.paid":
        type_ = SUBSCRIPTION_ACTIVATED if first else SUBSCRIPTION_RENEWED
        if obj.get("billing_reason") == "subscription_update":
            # The proration of a change of price, invoiced at once.
            type_ = SUBSCRIPTION_CHANGED
        elif amount == 0:
            # A trial opens with an invoice of nothing.
            type_ = SUBSCRIPTION_TRIAL
    elif kind == "invoice.payment_failed":
        type_ = SUBSCRIPTION_PAYMENT_FAILED
    else:
        type_ = f"stripe.{kind}"
    return ProviderEvent(
        id=event_id,
        type=type_,
        checkout=str((details.get("metadata") or {}).get("checkout", "")),
        amount=amount,
        currency=str(obj["currency"]).upper(),
        provider_ref=str(obj.get("subscription") or details.get("subscription") or ""),
        period_start=int(period["start"]),
        period_end=int(period["end"]),
        payment_ref=_invoice_payment(obj),
    )


def _invoice_payment(obj: dict[str, Any]) -> str:
    """The payment intent that paid an invoice (the charge's id on very old accounts)."""
    # Newer API versions list the invoice's payments instead of naming one.
    payments = (obj.get("payments") or {}).get("data") or [{}]
    payment = payments[0].get("payment") or {}
    found = obj.get("payment_intent") or payment.get("payment_intent")
    return str(found or obj.get("charge") or payment.get("charge") or "")


def _subscription(event_id: str, kind: str, obj: dict[str, Any]) -> ProviderEvent:
    items = (obj.get("items") or {}).get("data") or [{}]
    end = int(obj.get("current_period_end") or items[0].get("current_period_end") or 0)
    start = int(obj.get("current_period_start") or items[0].get("current_period_start") or 0)
    type_ = f"stripe.{kind}"
    if kind == "customer.subscription.deleted":
        type_ = SUBSCRIPTION_ENDED
    elif kind == "customer.subscription.created" and obj.get("status") == "trialing":
        type_, end = SUBSCRIPTION_TRIAL, int(obj.get("trial_end") or end)
    elif kind == "customer.subscription.updated" and obj.get("cancel_at_period_end"):
        type_ = SUBSCRIPTION_CANCELLED
    return ProviderEvent(
        id=event_id,
        type=type_,
        checkout=str((obj.get("metadata") or {}).get("checkout", "")),
        amount=0,
        currency=str(obj.get("currency", "")).upper(),
        provider_ref=str(obj["id"]),
        period_start=start,
        period_end=end,
    )
