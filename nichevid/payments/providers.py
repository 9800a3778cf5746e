"""The payment provider interface, and finding the providers plugins register.

A provider does two things: it starts a checkout (returning the URL to send the
member to) and it turns a webhook request into :class:`ProviderEvent` values, after
checking that the provider sent it. Everything else (storing each event once,
crediting the ledger, reversals) is done by :mod:`nichevid.payments.events`, the
same for every provider.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nichevid.plugins import collect_mappings

# Event types the core acts on; a provider maps its own names onto these.
PAID = "payment.succeeded"
REFUNDED = "payment.refunded"
CHARGED_BACK = "payment.charged_back"
EVENT_TYPES = (PAID, REFUNDED, CHARGED_BACK)

# Events of recurring payments. The core stores them once like any event and hands
# them to the plugin that sold the subscription (the ``payment_event`` hook).
SUBSCRIPTION_TRIAL = "subscription.trial_started"
SUBSCRIPTION_ACTIVATED = "subscription.activated"
SUBSCRIPTION_RENEWED = "subscription.renewed"
SUBSCRIPTION_PAYMENT_FAILED = "subscription.payment_failed"
SUBSCRIPTION_CANCELLED = "subscription.cancelled"
SUBSCRIPTION_ENDED = "subscription.ended"
# The subscription's monthly price changed at once (a move to a higher tier): ``amount``
# is what the provider charged now for the rest of the period (its proration, 0 when
# none), ``period_start`` the moment of the change, ``period_end`` the period's end.
SUBSCRIPTION_CHANGED = "subscription.changed"
SUBSCRIPTION_EVENT_TYPES = (
    SUBSCRIPTION_TRIAL,
    SUBSCRIPTION_ACTIVATED,
    SUBSCRIPTION_RENEWED,
    SUBSCRIPTION_PAYMENT_FAILED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_ENDED,
    SUBSCRIPTION_CHANGED,
)
# Checkout intervals: "" pays once, "month" renews every month until cancelled.
INTERVALS = ("", "month")


class WebhookError(ValueError):
    """A webhook request is refused: bad signature (``status`` 400), or a body that cannot
    be read. Nothing is stored."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CheckoutRequest:
    """A checkout to start: what the member pays and where to send them afterwards."""

    token: str
    user_id: int
    product: str
    amount: int
    currency: str
    description: str
    success_url: str
    cancel_url: str
    # "month" for a subscription the provider renews every month; "" for one payment.
    interval: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """One verified notification from a provider.

    ``id`` is the provider's unique event id (replays carry the same one); ``type`` is
    one of :data:`EVENT_TYPES` or :data:`SUBSCRIPTION_EVENT_TYPES` (others are stored
    and ignored); ``checkout`` is the token of the :class:`CheckoutRequest` it is about.
    Subscription events name the period they are about (``period_start`` and
    ``period_end``, Unix seconds; the end of a trial or of the paid period) and carry
    the provider's id of the subscription in ``provider_ref``.

    ``payment_ref`` is the provider's id of the payment an event is about: the payment
    that paid (a payment or a subscription's period) or the payment a refund or
    chargeback undoes. A refund or chargeback that names no checkout is matched to the
    stored payment with the same ``payment_ref``.
    """

    id: str
    type: str
    checkout: str
    amount: int
    currency: str
    provider_ref: str = ""
    period_start: int = 0
    period_end: int = 0
    payment_ref: str = ""


@dataclass(frozen=True)
class SubscriptionChange:
    """A running subscription moves to another monthly price.

    ``at_once``: the new price applies now and the provider charges its proration for
    the rest of the current period (``period_start`` to ``period_end``, Unix seconds);
    otherwise it applies from the next renewal and nothing is charged now.
    """

    checkout: str
    provider_ref: str
    amount: int
    previous_amount: int
    currency: str
    description: str
    at_once: bool
    period_start: int
    period_end: int


class PaymentProvider(abc.ABC):
    """What a payment provider plugin implements.

    Attributes:
        name: The key it is registered under; its webhook URL is
            ``/payments/webhooks/<name>``.
        label: What members see on the button, e.g. "Card (Stripe)".
        test_mode: True for providers that move no money; pages then say so.
        currencies: The ISO 4217 codes it takes (the instance's own list also applies).
        recurring: True for providers that take monthly subscriptions (checkouts with
            ``interval="month"``) and implement :meth:`cancel_subscription`.
    """

    name: str = ""
    label: str = ""
    test_mode: bool = False
    currencies: tuple[str, ...] = ()
    recurring: bool = False

    @abc.abstractmethod
    async def start_checkout(self, request: CheckoutRequest) -> tuple[str, str]:
        """Start a checkout; return ``(redirect_url, provider_ref)``.

        ``provider_ref`` is the provider's own id for the checkout (``""`` if none).
        """

    async def cancel_subscription(self, provider_ref: str) -> None:
        """Stop renewing subscription ``provider_ref`` at the end of the paid period.

        Only called on providers whose ``recurring`` is true. The provider confirms
        with a ``subscription.cancelled`` event later.

        Raises:
            WebhookError: The provider refused or could not be reached (``status`` 502).
        """
        raise WebhookError(f"{self.label} does not take subscriptions", 400)

    async def change_subscription(self, change: SubscriptionChange) -> list[ProviderEvent]:
        """Move subscription ``change.provider_ref`` to the monthly ``change.amount``.

        Only called on providers whose ``recurring`` is true. A change ``at_once`` is
        reported with a ``subscription.changed`` event carrying what was charged for the
        rest of the period; later renewals carry the new amount. A provider with a
        server of its own reports through its webhook and returns ``[]``; one without
        (the test provider) returns the events it reports now, and the core stores and
        applies them exactly as webhook events.

        Raises:
            WebhookError: The provider refused or could not be reached (``status`` 502).
        """
        raise WebhookError(f"{self.label} cannot change subscriptions", 400)

    @abc.abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        """Verify and parse one webhook request.

        Raises:
            WebhookError: The signature does not verify, or the body is not what the
                provider sends (not JSON, fields missing).
        """


def providers(pm: Any, settings: Any) -> dict[str, PaymentProvider]:
    """Every registered provider by name (a name registered twice: the last plugin's)."""
    found = collect_mappings(pm.hook.register_payment_providers, settings=settings)
    return {name: p for name, p in found.items() if isinstance(p, PaymentProvider)}


def provider(resources: Any, name: str) -> PaymentProvider | None:
    """The provider registered as ``name``, or ``None``."""
    cache = resources.extra.get("payments.providers")
    if cache is None:
        cache = providers(resources.pm, resources.settings)
        resources.extra["payments.providers"] = cache
    found: PaymentProvider | None = cache.get(name)
    return found


def all_providers(resources: Any) -> dict[str, PaymentProvider]:
    """Every registered provider, by name."""
    provider(resources, "")
    found: dict[str, PaymentProvider] = resources.extra["payments.providers"]
    return found
