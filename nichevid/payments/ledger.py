"""The double-entry ledger: post balanced transactions exactly once, read balances.

Every amount is an integer in the minor unit of its currency (cents) or in coins.
A transaction has two or more entries whose amounts sum to zero per unit, and an
idempotency key: posting the same key with the same body again returns the first
result; the same key with another body is refused.

Balances are cached on the account rows and changed in the same database
transaction as the entries, by a conditional ``UPDATE ... WHERE balance + amount >= 0``
for accounts that must not go negative: the database refuses an overdraft, however
many processes post at once, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nichevid.db import writing
from nichevid.payments.accounts import Account
from nichevid.payments.rules import (
    MAX_AMOUNT,
    MAX_KEY,
    MAX_REFERENCE,
    Entry,
    IdempotencyConflict,
    InvalidTransaction,
    LedgerError,
    Overdraft,
    Posted,
    Transaction,
    check_amount,
    check_unit,
    fingerprint,
    legs,
    validate,
)
from nichevid.payments.tables import LedgerAccount, LedgerEntry, LedgerTransaction

__all__ = [
    "MAX_AMOUNT",
    "MAX_KEY",
    "MAX_REFERENCE",
    "Entry",
    "IdempotencyConflict",
    "InvalidTransaction",
    "LedgerError",
    "Line",
    "Overdraft",
    "Posted",
    "Transaction",
    "balance",
    "balances",
    "check_amount",
    "check_unit",
    "fingerprint",
    "history",
    "post",
    "transaction",
]


async def _ensure_accounts(accounts: set[Account]) -> dict[str, int]:
    """Ids of ``accounts`` by key, making the rows that do not exist yet.

    Rows are made outside the posting transaction, each in its own statement, so
    the posting transaction only ever locks account rows, in id order.
    """
    table = LedgerAccount._meta.tablename
    for account in sorted(accounts):
        await LedgerAccount.raw(
            f"INSERT INTO {table} (key, kind, owner, unit, balance, may_go_negative) "  # noqa: S608
            "VALUES ({}, {}, {}, {}, 0, {}) ON CONFLICT (key) DO NOTHING",
            account.key,
            account.kind,
            account.owner,
            account.unit,
            account.may_go_negative,
        )
    keys = [a.key for a in accounts]
    rows = await LedgerAccount.select(LedgerAccount.id, LedgerAccount.key).where(
        LedgerAccount.key.is_in(keys)
    )
    return {row["key"]: int(row["id"]) for row in rows}


async def _stored(key: str) -> Posted | None:
    row = await LedgerTransaction.objects().where(LedgerTransaction.idempotency_key == key).first()
    if row is None:
        return None
    entries = await LedgerEntry.select(
        LedgerEntry.account.key.as_alias("key"), LedgerEntry.unit, LedgerEntry.amount
    ).where(LedgerEntry.txn == row.id)
    posted = Posted(
        id=int(row.id),
        kind=row.kind,
        idempotency_key=row.idempotency_key,
        reference=row.reference,
        reverses=row.reverses,
        entries=sorted((e["key"], e["unit"], int(e["amount"])) for e in entries),
        created_at=row.created_at,
        replayed=True,
    )
    posted.extra["fingerprint"] = row.fingerprint
    return posted


def _replay(stored: Posted, wanted: str) -> Posted:
    if stored.extra.get("fingerprint") != wanted:
        raise IdempotencyConflict(
            f"idempotency key {stored.idempotency_key!r} was already used for another "
            f"transaction (#{stored.id}, {stored.kind}); use a new key for a new transaction"
        )
    return stored


class _Raced(Exception):
    """Another post stored the same key between our look-up and our insert."""


async def post(settings: Any, txn: Transaction) -> Posted:
    """Post ``txn`` exactly once.

    Args:
        settings: The instance settings (for the currencies it takes).
        txn: The transaction; its entries sum to zero per unit.

    Returns:
        The stored transaction; ``replayed`` is true when the key was posted before
        with the same body (nothing changed this time).

    Raises:
        InvalidTransaction: Bad amounts, units, key, or entries that do not balance.
        IdempotencyConflict: The key was used for a different transaction.
        Overdraft: A wallet or earnings account would go below zero. Nothing is stored.
    """
    validate(settings, txn)
    wanted = fingerprint(txn)
    stored = await _stored(txn.idempotency_key)
    if stored is not None:
        return _replay(stored, wanted)
    ids = await _ensure_accounts({e.account for e in txn.entries})
    by_account: dict[int, int] = defaultdict(int)
    for entry in txn.entries:
        by_account[ids[entry.account.key]] += entry.amount
    keys = {ids[e.account.key]: e.account.key for e in txn.entries}
    txns, accounts, entries = (
        LedgerTransaction._meta.tablename,
        LedgerAccount._meta.tablename,
        LedgerEntry._meta.tablename,
    )
    try:
        async with writing(LedgerTransaction):
            rows = await LedgerTransaction.raw(
                f"INSERT INTO {txns} (idempotency_key, fingerprint, kind, reference, reverses) "  # noqa: S608
                "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (idempotency_key) DO NOTHING "
                "RETURNING id",
                txn.idempotency_key,
                wanted,
                txn.kind,
                txn.reference,
                txn.reverses,
            )
            if not rows:
                raise _Raced
            txn_id = int(rows[0]["id"])
            # Rows are locked in id order, so two posts never wait for each other in a ring.
            for account_id, amount in sorted(by_account.items()):
                if amount == 0:
                    continue
                changed = await LedgerAccount.raw(
                    f"UPDATE {accounts} SET balance = balance + {{}} "  # noqa: S608
                    "WHERE id = {} AND (may_go_negative OR balance + {} >= 0) RETURNING id",
                    amount,
                    account_id,
                    amount,
                )
                if not changed:
                    key = keys[account_id]
                    raise Overdraft(
                        f"{key} holds too little for this ({amount:+d}); nothing was posted",
                        key,
                    )
            values = ", ".join("({}, {}, {}, {})" for _ in txn.entries)
            args: list[Any] = []
            for entry in txn.entries:
                args += [txn_id, ids[entry.account.key], entry.account.unit, entry.amount]
            await LedgerEntry.raw(
                f"INSERT INTO {entries} (txn, account, unit, amount) VALUES {values}",  # noqa: S608
                *args,
            )
    except _Raced:
        stored = await _stored(txn.idempotency_key)
        if stored is None:  # the other post rolled back: try again as the first
            return await post(settings, txn)
        return _replay(stored, wanted)
    return Posted(
        id=txn_id,
        kind=txn.kind,
        idempotency_key=txn.idempotency_key,
        reference=txn.reference,
        reverses=txn.reverses,
        entries=legs(txn),
    )


async def balance(account: Account) -> int:
    """The cached balance of ``account`` in its minor unit (0 for an account never used)."""
    row = (
        await LedgerAccount.select(LedgerAccount.balance)
        .where(LedgerAccount.key == account.key)
        .first()
    )
    return int(row["balance"]) if row else 0


async def balances(kind: str, owner: str) -> dict[str, int]:
    """``{unit: balance}`` of every account of ``kind`` held by ``owner``."""
    rows = await LedgerAccount.select(LedgerAccount.unit, LedgerAccount.balance).where(
        (LedgerAccount.kind == kind) & (LedgerAccount.owner == owner)
    )
    return {row["unit"]: int(row["balance"]) for row in rows}


@dataclass
class Line:
    """One entry of an account's history."""

    transaction_id: int
    kind: str
    reference: str
    amount: int
    unit: str
    created_at: datetime


async def history(account: Account, page: int = 1, per_page: int = 50) -> list[Line]:
    """The entries on ``account``, newest first; ``page`` counts from 1."""
    if page < 1 or not 0 < per_page <= 500:
        raise InvalidTransaction("pages count from 1, with 1 to 500 lines each")
    rows = (
        await LedgerEntry.select(
            LedgerEntry.txn.as_alias("txn_id"),
            LedgerEntry.txn.kind.as_alias("kind"),
            LedgerEntry.txn.reference.as_alias("reference"),
            LedgerEntry.txn.created_at.as_alias("created_at"),
            LedgerEntry.amount,
            LedgerEntry.unit,
        )
        .where(LedgerEntry.account.key == account.key)
        .order_by(LedgerEntry.id, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [
        Line(
            int(r["txn_id"]),
            r["kind"],
            r["reference"],
            int(r["amount"]),
            r["unit"],
            r["created_at"],
        )
        for r in rows
    ]


async def transaction(transaction_id: int) -> Posted | None:
    """The stored transaction ``transaction_id``, or ``None``."""
    row = await LedgerTransaction.select(LedgerTransaction.idempotency_key).where(
        LedgerTransaction.id == transaction_id
    )
    return await _stored(row[0]["idempotency_key"]) if row else None


async def transaction_by_key(idempotency_key: str) -> Posted | None:
    """The stored transaction posted under ``idempotency_key``, or ``None``."""
    return await _stored(idempotency_key)
