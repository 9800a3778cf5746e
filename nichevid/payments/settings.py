"""Payment settings: the ``[plugin.payments]`` section.

The operator names the currencies the instance takes (ISO 4217 codes) and the
platform's cut of what members spend on creators. A bad value stops start-up with
one line like any other setting.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from babel.numbers import list_currencies

from nichevid.settings import Secret, plugin_section

SECTION = "payments"

Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
Positive = Annotated[int, msgspec.Meta(ge=1)]


class PaymentSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Currencies, the platform's cut and the test provider."""

    # ISO 4217 codes members may pay in; amounts are integers in each one's minor unit.
    currencies: list[str] = msgspec.field(default_factory=lambda: ["EUR"])
    # Percent of each spend that goes to the platform; the creator earns the rest.
    platform_cut_percent: Percent = 20
    # The built-in test provider: checkouts confirmed on a page of the instance.
    test_provider: bool = True
    # Largest single checkout, in minor units of its currency.
    max_checkout_amount: Positive = 100_000
    # A webhook event received but not applied this long ago is applied by the
    # reconciliation job.
    reconcile_after_seconds: Positive = 60
    # Stripe is offered once both are set (``{ env = "NAME" }`` keeps them out of files).
    stripe_api_key: Secret = msgspec.field(default_factory=lambda: Secret(""))
    stripe_webhook_secret: Secret = msgspec.field(default_factory=lambda: Secret(""))
    # Smallest payout a creator may ask for, in minor units: one number for every
    # currency, or a table naming each currency (``{ EUR = 2000, USD = 2500 }``).
    payout_minimum: int | dict[str, int] = 1000
    # What 100 coins a creator earned are worth, in minor units of each currency, when
    # they convert them to money they can be paid out (empty: coins stay coins).
    coin_value_per_hundred: dict[str, int] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        known = list_currencies()
        codes = [code.strip().upper() for code in self.currencies]
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ValueError(
                f"plugin.payments.currencies lists unknown ISO 4217 codes: {', '.join(unknown)}"
                " (use codes such as EUR, USD, GBP)"
            )
        if not codes:
            raise ValueError("plugin.payments.currencies is empty: name at least one, e.g. EUR")
        if len(set(codes)) != len(codes):
            raise ValueError("plugin.payments.currencies lists a currency twice")
        self.currencies = codes
        self._check_payout_minimum()
        self._check_coin_value()

    def _check_coin_value(self) -> None:
        table = {code.strip().upper(): value for code, value in self.coin_value_per_hundred.items()}
        extra = [code for code in table if code not in self.currencies]
        if extra:
            raise ValueError(
                f"plugin.payments.coin_value_per_hundred names {', '.join(extra)}, which is not "
                f"in plugin.payments.currencies ({', '.join(self.currencies)})"
            )
        low = [code for code, value in table.items() if value < 1]
        if low:
            raise ValueError(
                f"plugin.payments.coin_value_per_hundred for {', '.join(low)} must be 1 or more "
                "(minor units, e.g. 50 for 0.50 per 100 coins)"
            )
        self.coin_value_per_hundred = table

    def _check_payout_minimum(self) -> None:
        minimum = self.payout_minimum
        if isinstance(minimum, int):
            if minimum < 1:
                raise ValueError(
                    "plugin.payments.payout_minimum must be 1 or more (minor units, e.g. 1000)"
                )
            return
        table = {code.strip().upper(): value for code, value in minimum.items()}
        missing = [code for code in self.currencies if code not in table]
        extra = [code for code in table if code not in self.currencies]
        if missing or extra:
            raise ValueError(
                "plugin.payments.payout_minimum must name exactly the currencies in "
                f"plugin.payments.currencies ({', '.join(self.currencies)})"
            )
        low = [code for code, value in table.items() if value < 1]
        if low:
            raise ValueError(
                f"plugin.payments.payout_minimum for {', '.join(low)} must be 1 or more"
            )
        self.payout_minimum = table

    def minimum_payout(self, currency: str) -> int:
        """The smallest payout in ``currency``, in its minor unit."""
        minimum = self.payout_minimum
        return minimum if isinstance(minimum, int) else minimum[currency]


def payment_settings(settings: Any) -> PaymentSettings:
    """The instance's ``[plugin.payments]`` settings (defaults when the app did not parse them)."""
    return plugin_section(settings, SECTION, PaymentSettings)
