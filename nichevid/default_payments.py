"""Default payment providers: the test provider, clearly marked, and Stripe.

Registered ``trylast`` like every default. The test provider is offered while
``plugin.payments.test_provider`` is on (an operator taking real money turns it off);
Stripe once ``plugin.payments.stripe_api_key`` and ``stripe_webhook_secret`` are set.
"""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl


@hookimpl(trylast=True)
def register_payment_providers(settings: Any) -> dict[str, Any] | None:
    from nichevid.payments.settings import payment_settings
    from nichevid.payments.stripe_provider import StripeProvider
    from nichevid.payments.test_provider import TestProvider

    found: dict[str, Any] = {}
    if payment_settings(settings).test_provider:
        found["test"] = TestProvider(settings)
    stripe = StripeProvider.from_settings(settings)
    if stripe is not None:
        found["stripe"] = stripe
    return found or None
