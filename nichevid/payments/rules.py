"""What a ledger transaction must be: the errors, the values posted, and their checks.

:mod:`nichevid.payments.ledger` re-exports all of these; import them from there.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nichevid.payments.accounts import COINS, Account
from nichevid.payments.settings import payment_settings

MAX_KEY = 200
MAX_REFERENCE = 200
# Far below 2**63: no sum of a few entries can overflow a BIGINT.
MAX_AMOUNT = 10**15


class LedgerError(ValueError):
    """A post is refused; ``status`` is the HTTP status that says why. Nothing was stored."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransaction(LedgerError):
    """The transaction itself is wrong: amounts, units, balance, key."""


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different transaction."""

    status = 409


class Overdraft(LedgerError):
    """An account that must not go negative would; ``account`` names it."""

    status = 409

    def __init__(self, message: str, account: str) -> None:
        super().__init__(message)
        self.account = account


@dataclass(frozen=True)
class Entry:
    """One leg: ``amount`` (signed, minor units) on ``account``."""

    account: Account
    amount: int


@dataclass(frozen=True)
class Transaction:
    """What to post. ``reverses`` is set by :func:`reverse` only."""

    kind: str
    idempotency_key: str
    entries: list[Entry]
    reference: str = ""
    reverses: int | None = None


@dataclass
class Posted:
    """A stored transaction; ``replayed`` is true when its key had been posted before."""

    id: int
    kind: str
    idempotency_key: str
    reference: str
    reverses: int | None
    entries: list[tuple[str, str, int]]
    created_at: datetime | None = None
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def check_unit(settings: Any, unit: str) -> str:
    """``unit`` when the instance takes it (one of its currencies, or ``coins``).

    Raises:
        InvalidTransaction: Naming the units the instance takes.
    """
    allowed = payment_settings(settings).currencies
    if unit == COINS or unit in allowed:
        return unit
    raise InvalidTransaction(
        f"unknown currency {unit!r}: this instance takes {', '.join(allowed)} and coins"
    )


def check_amount(amount: Any, *, positive: bool = False, what: str = "amount") -> int:
    """``amount`` when it is a whole number of minor units (cents, coins).

    Raises:
        InvalidTransaction: For fractions, non-numbers, zero, and (``positive``) negatives.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidTransaction(
            f"{what} {amount!r} is not a whole number: give amounts as integers in the "
            "currency's minor unit (1999 for 19.99) or in coins"
        )
    if amount == 0:
        raise InvalidTransaction(f"{what} is zero: a transaction must move something")
    if positive and amount < 0:
        raise InvalidTransaction(f"{what} {amount} is negative: give a positive amount")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidTransaction(f"{what} {amount} is too large (at most {MAX_AMOUNT})")
    return amount


def validate(settings: Any, txn: Transaction) -> None:
    if not isinstance(txn.idempotency_key, str) or not 0 < len(txn.idempotency_key) <= MAX_KEY:
        raise InvalidTransaction(f"an idempotency key of 1 to {MAX_KEY} characters is required")
    if not txn.kind or len(txn.kind) > 32:
        raise InvalidTransaction("a transaction kind of 1 to 32 characters is required")
    if len(txn.reference) > MAX_REFERENCE:
        raise InvalidTransaction(f"the reference is longer than {MAX_REFERENCE} characters")
    if len(txn.entries) < 2:
        raise InvalidTransaction("a transaction needs at least two entries")
    sums: dict[str, int] = defaultdict(int)
    for entry in txn.entries:
        check_unit(settings, entry.account.unit)
        sums[entry.account.unit] += check_amount(entry.amount)
    unbalanced = {unit: total for unit, total in sums.items() if total}
    if unbalanced:
        detail = ", ".join(f"{total:+d} {unit}" for unit, total in sorted(unbalanced.items()))
        raise InvalidTransaction(f"the entries do not sum to zero per unit ({detail})")


def legs(txn: Transaction) -> list[tuple[str, str, int]]:
    return sorted((e.account.key, e.account.unit, e.amount) for e in txn.entries)


def fingerprint(txn: Transaction) -> str:
    """SHA-256 of what the transaction does (its body, without the key)."""
    body = {
        "kind": txn.kind,
        "reference": txn.reference,
        "reverses": txn.reverses,
        "entries": legs(txn),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
