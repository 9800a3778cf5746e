"""The built-in test provider: no money moves.

Its "checkout" is a page of the instance (``/payments/test/<token>``) where the member
confirms or cancels. Confirming signs a webhook-like notification with a key derived
from the instance's secret key and hands it to the same handling path as a real
provider's webhook (:func:`nichevid.payments.events.receive`), so everything after the
signature check is exercised exactly as in production.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from nichevid.payments.providers import (
    PAID,
    SUBSCRIPTION_CHANGED,
    CheckoutRequest,
    PaymentProvider,
    ProviderEvent,
    SubscriptionChange,
    WebhookError,
)
from nichevid.payments.settings import payment_settings

SIGNATURE_HEADER = "x-nichevid-signature"
# A test subscription's period: a month of 30 days.
PERIOD_SECONDS = 30 * 86400
# Notifications older than this are refused, so a captured one cannot be replayed later.
TOLERANCE_SECONDS = 300


class TestProvider(PaymentProvider):
    """Checkouts confirmed by the member on a page of the instance; labelled as a test."""

    __test__ = False  # not a pytest test class
    name = "test"
    label = "Test payments: no money moves"
    test_mode = True
    recurring = True

    def __init__(self, settings: Any) -> None:
        secret = settings.secret_key.reveal() if settings.secret_key else ""
        # A key of its own: the session secret never signs anything outside the app.
        self._key = hashlib.sha256(f"nichevid-test-payments:{secret}".encode()).digest()
        self.currencies = tuple(payment_settings(settings).currencies)

    async def start_checkout(self, request: CheckoutRequest) -> tuple[str, str]:
        return f"/payments/test/{request.token}", f"test_{request.token}"

    async def cancel_subscription(self, provider_ref: str) -> None:
        """Nothing to stop: test subscriptions renew only when a notification says so."""

    async def change_subscription(self, change: SubscriptionChange) -> list[ProviderEvent]:
        """Report the change at once (there is no server to do it later).

        The proration of a change ``at_once`` is the difference of the monthly prices
        for the share of the period left, rounded down to the minor unit (nothing when
        the new price is lower); a change at the period's end reports nothing now: the
        next renewal carries the new price.
        """
        if not change.at_once:
            return []
        now = int(time.time())
        length = max(1, change.period_end - change.period_start)
        left = min(length, max(0, change.period_end - now))
        charged = max(0, change.amount - change.previous_amount) * left // length
        return [
            ProviderEvent(
                id=f"evt_{secrets.token_hex(12)}",
                type=SUBSCRIPTION_CHANGED,
                checkout=change.checkout,
                amount=charged,
                currency=change.currency,
                provider_ref=change.provider_ref,
                period_start=now,
                period_end=change.period_end,
            )
        ]

    def sign(self, body: bytes, at: int | None = None) -> str:
        """The signature header for ``body`` sent at ``at`` (now by default)."""
        stamp = int(time.time()) if at is None else at
        mac = hmac.new(self._key, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={stamp},v1={mac}"

    def notification(
        self,
        type_: str,
        checkout: str,
        amount: int,
        currency: str,
        period: tuple[int, int] | None = None,
    ) -> bytes:
        """The body of a notification about ``checkout``, with a fresh event id.

        ``period`` (start and end, Unix seconds) goes into subscription events.
        """
        event: dict[str, Any] = {
            "id": f"evt_{secrets.token_hex(12)}",
            "type": type_,
            "checkout": checkout,
            "amount": amount,
            "currency": currency,
        }
        if period is not None:
            event["period_start"], event["period_end"] = period
        return json.dumps(event).encode()

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        self._verify(body, headers.get(SIGNATURE_HEADER, ""))
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise WebhookError("the body is not JSON") from None
        if not isinstance(data, dict):
            raise WebhookError("the body is not a JSON object")
        try:
            event = ProviderEvent(
                id=_text(data, "id"),
                type=_text(data, "type"),
                checkout=_text(data, "checkout"),
                amount=_whole(data, "amount"),
                currency=_text(data, "currency"),
                provider_ref=f"test_{data['checkout']}",
                period_start=_whole(data, "period_start", 0),
                period_end=_whole(data, "period_end", 0),
            )
        except (KeyError, TypeError) as exc:
            raise WebhookError(f"the event lacks a valid {exc.args[0]!s}") from None
        return [event]

    def _verify(self, body: bytes, header: str) -> None:
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        stamp, given = parts.get("t", ""), parts.get("v1", "")
        if not stamp.isdigit() or not given:
            raise WebhookError(f"the {SIGNATURE_HEADER} header is missing or malformed")
        if abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
            raise WebhookError("the notification is too old (or from the future); send a new one")
        wanted = hmac.new(self._key, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(wanted, given):
            raise WebhookError("the signature does not match the body")


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise TypeError(key)
    return value


def _whole(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data[key] if default is None else data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(key)
    return value


__all__ = ["PAID", "SIGNATURE_HEADER", "TestProvider"]
