"""Checkouts: a member starts paying a provider; the webhook later credits the ledger."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision

from nichevid.i18n import gettext
from nichevid.payments.accounts import COINS
from nichevid.payments.ledger import InvalidTransaction, check_amount, check_unit
from nichevid.payments.providers import INTERVALS, CheckoutRequest, provider
from nichevid.payments.settings import payment_settings
from nichevid.payments.tables import Checkout


class CheckoutError(ValueError):
    """A checkout cannot start; the message says what to change."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def minor_units(text: str, currency: str) -> int:
    """``"19.99"`` EUR -> ``1999``: an amount typed in the currency's major unit.

    Raises:
        CheckoutError: Not a number, more decimals than the currency has, zero or less.
    """
    places = get_currency_precision(currency)
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise CheckoutError(_not_an_amount(text)) from None
    if not value.is_finite():
        raise CheckoutError(_not_an_amount(text))
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise CheckoutError(
            gettext(
                "%(currency)s has %(places)s decimals; %(amount)s has more.",
                currency=currency,
                places=places,
                amount=text,
            )
        )
    if scaled <= 0:
        raise CheckoutError(gettext("The amount must be more than zero."))
    return int(scaled)


def _not_an_amount(text: str) -> str:
    return gettext("%(text)s is not an amount; type it like 5 or 5.50.", text=repr(text))


def display(amount: int, unit: str) -> str:
    """``1999, "EUR"`` -> ``"19.99 EUR"``; coins are whole."""
    if unit == COINS:
        return f"{amount} {COINS}"
    places = get_currency_precision(unit)
    return f"{Decimal(amount).scaleb(-places):.{places}f} {unit}"


async def start(
    resources: Any,
    *,
    user_id: int,
    provider_name: str,
    amount: int,
    currency: str,
    credit: int | None = None,
    credit_unit: str | None = None,
    product: str = "wallet_top_up",
    base_url: str = "",
    interval: str = "",
    return_path: str = "",
) -> tuple[Checkout, str]:
    """Store a checkout and ask the provider to start it.

    Args:
        resources: The running resources.
        user_id: The paying member.
        provider_name: A registered provider.
        amount: What the member pays, in minor units of ``currency``.
        currency: An ISO 4217 code the instance and the provider take.
        credit: What the wallet receives once paid (default: ``amount``).
        credit_unit: In what (default: ``currency``; ``coins`` for coin packs).
        product: What is bought, for the records (``wallet_top_up``, a pack name).
        base_url: Prefix of the success and cancel URLs.
        interval: ``"month"`` for a subscription the provider renews monthly: nothing is
            credited to the wallet, the plugin that sold it acts on the subscription
            events (``payment_event`` hook). ``""`` (default) for one payment.
        return_path: The path of this site the member returns to (default: the wallet).

    Returns:
        The stored checkout and the URL to send the member to.

    Raises:
        CheckoutError: Unknown provider, currency or bad amount; a subscription with a
            provider that takes none.
    """
    settings = resources.settings
    chosen = provider(resources, provider_name)
    if chosen is None:
        raise CheckoutError(gettext("Choose one of the payment methods offered."))
    if interval not in INTERVALS:
        raise ValueError(f"interval is {interval!r}; use one of {INTERVALS}")
    if not return_path.startswith("/") or return_path.startswith("//"):
        # Only paths of this site: a member is never sent elsewhere after paying.
        return_path = ""
    if interval and not chosen.recurring:
        raise CheckoutError(
            gettext("%(provider)s does not take subscriptions.", provider=chosen.label)
        )
    try:
        check_amount(amount, positive=True)
        if check_unit(settings, currency) == COINS:
            raise CheckoutError(gettext("Pay in a currency, not in coins."))
        check_unit(settings, credit_unit or currency)
        check_amount(credit or amount, positive=True, what="the amount credited")
    except InvalidTransaction as exc:
        raise CheckoutError(exc.message) from exc
    if chosen.currencies and currency not in chosen.currencies:
        raise CheckoutError(
            gettext(
                "%(provider)s does not take %(currency)s; it takes %(currencies)s.",
                provider=chosen.label,
                currency=currency,
                currencies=", ".join(chosen.currencies),
            )
        )
    limit = payment_settings(settings).max_checkout_amount
    if amount > limit:
        raise CheckoutError(
            gettext("One payment is at most %(limit)s.", limit=display(limit, currency))
        )
    row = Checkout(
        token=secrets.token_urlsafe(24),
        provider=provider_name,
        user_id=user_id,
        product=product[:64],
        amount=amount,
        currency=currency,
        credit_amount=credit or amount,
        credit_unit=credit_unit or currency,
        billing_interval=interval,
        return_path=return_path[:200],
    )
    await row.save()
    back = f"{base_url}{row.return_path}" if row.return_path else f"{base_url}/wallet"
    url, ref = await chosen.start_checkout(
        CheckoutRequest(
            token=row.token,
            user_id=user_id,
            product=row.product,
            amount=amount,
            currency=currency,
            description=f"{row.product} ({display(row.credit_amount, row.credit_unit)})",
            success_url=f"{base_url}{row.return_path}"
            if row.return_path
            else f"{base_url}/wallet?paid={row.token}",
            cancel_url=back,
            interval=interval,
        )
    )
    if ref:
        row.provider_ref = ref[:200]
        await row.save([Checkout.provider_ref])
    return row, url


async def get(token: str) -> Checkout | None:
    """The checkout ``token`` names, or ``None``."""
    if not 0 < len(token) <= 64:
        return None
    return await Checkout.objects().where(Checkout.token == token).first()


async def cancel(checkout: Checkout) -> None:
    """The member gave up: an open checkout is closed; a paid one stays paid."""
    await Checkout.update({Checkout.status: "cancelled"}).where(
        (Checkout.id == checkout.id) & (Checkout.status == "open")
    )
