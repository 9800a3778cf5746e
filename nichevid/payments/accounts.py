"""Ledger accounts: what each kind holds, how it is named, and which may go negative.

An account is addressed by an :class:`Account` value (kind, owner, unit); the ledger
makes its row the first time a transaction touches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COINS = "coins"

# kind -> whether its balance may go below zero. Wallets and earnings hold what members
# own; the others are the platform's side of the books and mirror money outside it.
KINDS: dict[str, bool] = {
    "wallet": False,  # a member's spendable balance, per unit
    "earnings": False,  # what a creator earned and may be paid out, per unit
    "platform": True,  # platform revenue, per unit
    "clearing": True,  # money a provider collected and owes the platform, per provider and currency
    "issuance": True,  # where coins come from when members buy them
    "refunds": True,  # refunds and chargebacks paid back, per unit
    # Earnings a creator asked to be paid out, held until the operator decides: held
    # money cannot be spent or asked for twice, and a rejection returns it.
    "payouts": False,
    # What approved payouts took out of the books, per unit; it only ever grows.
    "paid_out": False,
}

_OWNER = re.compile(r"^[A-Za-z0-9_.-]{0,64}$")


class AccountError(ValueError):
    """An account that cannot exist: unknown kind, bad owner or unit."""


@dataclass(frozen=True, order=True)
class Account:
    """One ledger account: ``kind``, ``owner`` (a user id, a provider name, or ``""``), ``unit``."""

    kind: str
    owner: str
    unit: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise AccountError(
                f"unknown account kind {self.kind!r}; use one of {', '.join(sorted(KINDS))}"
            )
        if not _OWNER.match(self.owner):
            raise AccountError(f"account owner {self.owner!r} must be letters, digits, . _ -")
        if self.kind in ("wallet", "earnings", "clearing", "payouts") and not self.owner:
            raise AccountError(f"a {self.kind} account needs an owner")

    @property
    def key(self) -> str:
        """The account's unique name, e.g. ``wallet:12:coins``."""
        return f"{self.kind}:{self.owner}:{self.unit}"

    @property
    def may_go_negative(self) -> bool:
        """Whether posts may take the balance below zero."""
        return KINDS[self.kind]


def wallet(user_id: int, unit: str) -> Account:
    """A member's wallet in ``unit`` (a currency or ``coins``)."""
    return Account("wallet", str(int(user_id)), unit)


def earnings(user_id: int, unit: str) -> Account:
    """A creator's earnings in ``unit``."""
    return Account("earnings", str(int(user_id)), unit)


def platform(unit: str) -> Account:
    """The platform's revenue in ``unit``."""
    return Account("platform", "", unit)


def clearing(provider: str, currency: str) -> Account:
    """Money ``provider`` collected in ``currency`` and owes the platform."""
    return Account("clearing", provider, currency)


def issuance(unit: str = COINS) -> Account:
    """The source of coins members buy."""
    return Account("issuance", "", unit)


def refunds(unit: str) -> Account:
    """Refunds and chargebacks paid back in ``unit``."""
    return Account("refunds", "", unit)


def payouts(user_id: int, unit: str) -> Account:
    """A creator's earnings held for a payout request in ``unit``."""
    return Account("payouts", str(int(user_id)), unit)


def paid_out(unit: str) -> Account:
    """Money approved payouts sent to creators in ``unit``."""
    return Account("paid_out", "", unit)
