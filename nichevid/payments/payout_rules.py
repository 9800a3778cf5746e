"""What a payout request must be, its errors, and its statuses in the reader's language.

:mod:`nichevid.payments.payouts` re-exports :class:`PayoutError` and :func:`status_label`.
"""

from __future__ import annotations

import re
from typing import Any

from nichevid.i18n import gettext
from nichevid.payments.accounts import COINS
from nichevid.payments.checkout import display
from nichevid.payments.ledger import LedgerError, check_amount
from nichevid.payments.settings import payment_settings

MAX_DETAILS = 300
MAX_REASON = 500
# The form's own key: long enough not to be guessed by accident, plain enough to store.
REQUEST_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class PayoutError(ValueError):
    """A payout request or decision is refused; ``message`` says what to do."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def check_request(settings: Any, amount: Any, unit: str, details: str) -> str:
    """Refuse what no payout can be; returns the details trimmed."""
    config = payment_settings(settings)
    if unit == COINS:
        raise PayoutError(
            gettext(
                "Coins are not paid out; ask for earnings in one of: %(currencies)s.",
                currencies=", ".join(config.currencies),
            )
        )
    if unit not in config.currencies:
        raise PayoutError(
            gettext(
                "%(unit)s is not a currency of this site; choose one of: %(currencies)s.",
                unit=unit,
                currencies=", ".join(config.currencies),
            )
        )
    try:
        check_amount(amount, positive=True)
    except LedgerError:
        raise PayoutError(
            gettext("The amount must be a whole number of minor units above zero.")
        ) from None
    minimum = config.minimum_payout(unit)
    if amount < minimum:
        raise PayoutError(
            gettext(
                "The smallest payout is %(minimum)s; ask for more or wait until you earn it.",
                minimum=display(minimum, unit),
            )
        )
    details = details.strip()
    if not details:
        raise PayoutError(
            gettext("Say where the money goes (for example an IBAN or a PayPal address).")
        )
    if len(details) > MAX_DETAILS:
        raise PayoutError(
            gettext("Payout details are at most %(count)s characters.", count=MAX_DETAILS)
        )
    return details


def status_label(status: str) -> str:
    """A payout status in the reader's language."""
    return {
        "pending": gettext("waiting for approval"),
        "approved": gettext("approved, being sent"),
        "paid": gettext("paid"),
        "rejected": gettext("rejected"),
    }.get(status, status)
