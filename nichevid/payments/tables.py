"""Tables of the payments app. Other packages use :mod:`nichevid.payments.ledger`.

Unique indexes (an account's key, a transaction's idempotency key, one reversal per
transaction, a provider's event id, a checkout's token) are made in the second
migration, so both databases enforce them the same way.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class LedgerAccount(Table, tablename="nv_ledger_account"):
    """One account of the ledger: a wallet, earnings, platform revenue, clearing, ..."""

    id = Serial(primary_key=True)
    # ``<kind>:<owner>:<unit>``, e.g. ``wallet:12:coins``, ``clearing:test:EUR``.
    key = Varchar(length=120)
    kind = Varchar(length=16)
    # The user id for wallets and earnings, the provider for clearing, else "".
    owner = Varchar(length=64, default="")
    # An ISO 4217 code or ``coins``.
    unit = Varchar(length=8)
    # Cached sum of the account's entries, in minor units; kept by every post.
    balance = BigInt(default=0)
    # Wallets and earnings hold what members own: they never go below zero.
    may_go_negative = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class LedgerTransaction(Table, tablename="nv_ledger_transaction"):
    """A balanced set of entries, posted at once, exactly once per idempotency key."""

    id = Serial(primary_key=True)
    idempotency_key = Varchar(length=200)
    # SHA-256 of the canonical body: a replayed key with another body is refused.
    fingerprint = Varchar(length=64)
    kind = Varchar(length=32)
    reference = Varchar(length=200, default="")
    # The transaction this one undoes (refunds, chargebacks), or null.
    reverses = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class LedgerEntry(Table, tablename="nv_ledger_entry"):
    """One leg of a transaction: a signed amount on one account."""

    id = Serial(primary_key=True)
    # Restrict: entries are the books, nothing deletes them from under a transaction.
    txn = ForeignKey(references=LedgerTransaction, on_delete=OnDelete.restrict, index=True)
    account = ForeignKey(references=LedgerAccount, on_delete=OnDelete.restrict, index=True)
    unit = Varchar(length=8)
    amount = BigInt()


class Checkout(Table, tablename="nv_payment_checkout"):
    """A payment a member started with a provider, and what it credits once paid."""

    id = Serial(primary_key=True)
    token = Varchar(length=64)
    provider = Varchar(length=64)
    # The provider's own id for it (a Stripe session id), once known.
    provider_ref = Varchar(length=200, default="")
    user_id = Integer()
    product = Varchar(length=64)
    amount = BigInt()
    currency = Varchar(length=8)
    credit_amount = BigInt()
    credit_unit = Varchar(length=8)
    # open, paid, cancelled, refunded, charged_back
    status = Varchar(length=16, default="open")
    transaction_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # "month" for a subscription (its periods are paid through subscription events).
    billing_interval = Varchar(length=16, default="")
    # Where the member returns after paying (a path of this site; "" for the wallet).
    return_path = Varchar(length=200, default="")


class PaymentEvent(Table, tablename="nv_payment_event"):
    """A provider's notification, stored before it is applied so it is applied once."""

    id = Serial(primary_key=True)
    provider = Varchar(length=64)
    event_id = Varchar(length=200)
    type = Varchar(length=64)
    checkout_token = Varchar(length=64, default="")
    amount = BigInt(default=0)
    currency = Varchar(length=8, default="")
    # received (not applied yet), applied, waiting (needs an earlier event), ignored
    status = Varchar(length=16, default="received")
    note = Text(default="")
    received_at = Timestamptz(default=TimestamptzNow())
    applied_at = Timestamptz(null=True, default=None)
    # For subscription events: the provider's subscription id and the period (Unix seconds).
    provider_ref = Varchar(length=200, default="")
    period_start = BigInt(default=0)
    period_end = BigInt(default=0)
    # The provider's id of the payment the event paid or undoes (see ``ProviderEvent``).
    payment_ref = Varchar(length=200, default="", index=True)


class Payout(Table, tablename="nv_payout"):
    """A creator's request to be paid out part of their earnings, and the decision on it.

    The amount is held in the ledger (``payouts:<owner>:<unit>``) from the moment the
    request is stored until the operator approves (it moves to ``paid_out``) or
    rejects it (it returns to the earnings).
    """

    id = Serial(primary_key=True)
    # The member's id as text, like ledger account owners: erasure renames it to the
    # member's pseudonym together with their accounts.
    owner = Varchar(length=64)
    # The creator's own key for the request (from the form), so a double submit asks once.
    request_key = Varchar(length=64)
    amount = BigInt()
    unit = Varchar(length=8)
    # Where to send the money (an IBAN, a PayPal address): free text, shown to operators.
    details = Text(default="")
    # pending (held, waiting for the operator), approved (to be sent), paid, rejected
    status = Varchar(length=16, default="pending")
    reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)
