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


@dataclass(frozen=True)
class ProviderEvent:
    """One verified notification from a provider.

    ``id`` is the provider's unique event id (replays carry the same one); ``type`` is
    one of :data:`EVENT_TYPES` (others are stored and ignored); ``checkout`` is the
    token of the :class:`CheckoutRequest` it is about.
    """

    id: str
    type: str
    checkout: str
    amount: int
    currency: str
    provider_ref: str = ""


class PaymentProvider(abc.ABC):
    """What a payment provider plugin implements.

    Attributes:
        name: The key it is registered under; its webhook URL is
            ``/payments/webhooks/<name>``.
        label: What members see on the button, e.g. "Card (Stripe)".
        test_mode: True for providers that move no money; pages then say so.
        currencies: The ISO 4217 codes it takes (the instance's own list also applies).
    """

    name: str = ""
    label: str = ""
    test_mode: bool = False
    currencies: tuple[str, ...] = ()

    @abc.abstractmethod
    async def start_checkout(self, request: CheckoutRequest) -> tuple[str, str]:
        """Start a checkout; return ``(redirect_url, provider_ref)``.

        ``provider_ref`` is the provider's own id for the checkout (``""`` if none).
        """

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
