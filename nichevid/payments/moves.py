"""The common moves, built on :func:`nichevid.payments.ledger.post`.

* :func:`top_up`: money a provider collected lands in a member's wallet (in the same
  currency, or as coins bought with it);
* :func:`spend`: a member pays a creator from their wallet; the platform keeps its cut
  (``plugin.payments.platform_cut_percent``), the creator earns the rest;
* :func:`reverse`: a refund or chargeback undoes a transaction, once;
* :func:`convert_coins`: a creator turns coins they earned into money they can be
  paid out, at ``plugin.payments.coin_value_per_hundred``.
"""

from __future__ import annotations

from typing import Any

from nichevid.payments import accounts as acc
from nichevid.payments.accounts import COINS
from nichevid.payments.ledger import (
    Entry,
    InvalidTransaction,
    Posted,
    Transaction,
    check_amount,
    check_unit,
    post,
    transaction,
)
from nichevid.payments.settings import payment_settings

REVERSAL_KINDS = ("refund", "chargeback")
CONVERSION = "coin_conversion"


async def top_up(
    settings: Any,
    *,
    provider: str,
    user_id: int,
    paid: int,
    currency: str,
    credit: int,
    credit_unit: str,
    idempotency_key: str,
    reference: str = "",
) -> Posted:
    """Credit ``credit`` ``credit_unit`` to the member's wallet for ``paid`` ``currency``.

    Paying in a currency credits the same amount of it; buying coins moves the money
    to platform revenue and issues the coins.

    Raises:
        InvalidTransaction: Bad amounts or units; a credit in another currency.
    """
    check_amount(paid, positive=True, what="the amount paid")
    check_amount(credit, positive=True, what="the amount credited")
    if check_unit(settings, currency) == COINS:
        raise InvalidTransaction("members pay in a currency, not in coins")
    check_unit(settings, credit_unit)
    source = acc.clearing(provider, currency)
    wallet = acc.wallet(user_id, credit_unit)
    if credit_unit == currency:
        if credit != paid:
            raise InvalidTransaction(
                f"a top-up in {currency} credits what was paid ({paid}), not {credit}"
            )
        entries = [Entry(source, -paid), Entry(wallet, paid)]
    elif credit_unit == COINS:
        entries = [
            Entry(source, -paid),
            Entry(acc.platform(currency), paid),
            Entry(acc.issuance(COINS), -credit),
            Entry(wallet, credit),
        ]
    else:
        raise InvalidTransaction(f"a payment in {currency} cannot credit {credit_unit}")
    return await post(settings, Transaction("top_up", idempotency_key, entries, reference))


def platform_cut(settings: Any, amount: int) -> int:
    """The platform's share of ``amount``: the setting's percent, rounded down (creators
    keep the remainder)."""
    return amount * payment_settings(settings).platform_cut_percent // 100


async def spend(
    settings: Any,
    *,
    payer: int,
    payee: int,
    amount: int,
    unit: str,
    idempotency_key: str,
    kind: str = "spend",
    reference: str = "",
) -> Posted:
    """Move ``amount`` from the payer's wallet to the payee's earnings and the platform.

    Raises:
        InvalidTransaction: Bad amount or unit, or payer and payee are the same member.
        Overdraft: The wallet holds less than ``amount``; nothing is posted.
    """
    check_amount(amount, positive=True)
    check_unit(settings, unit)
    if int(payer) == int(payee):
        raise InvalidTransaction("a member cannot pay themselves")
    cut = platform_cut(settings, amount)
    entries = [Entry(acc.wallet(payer, unit), -amount)]
    if amount - cut:
        entries.append(Entry(acc.earnings(payee, unit), amount - cut))
    if cut:
        entries.append(Entry(acc.platform(unit), cut))
    return await post(settings, Transaction(kind, idempotency_key, entries, reference))


async def reverse(
    settings: Any, transaction_id: int, *, kind: str = "refund", reference: str = ""
) -> Posted:
    """Undo transaction ``transaction_id`` with opposite entries, at most once.

    The reversal's idempotency key is ``reversal:<id>``, so reversing again returns
    the first reversal.

    Raises:
        InvalidTransaction: Unknown transaction, a reversal of a reversal, a bad kind.
        Overdraft: The money was spent meanwhile (a wallet or earnings account would go
            below zero); nothing is posted.
    """
    if kind not in REVERSAL_KINDS:
        raise InvalidTransaction(f"a reversal is a {' or a '.join(REVERSAL_KINDS)}, not {kind!r}")
    original = await transaction(transaction_id)
    if original is None:
        raise InvalidTransaction(f"there is no transaction #{transaction_id} to reverse")
    if original.reverses is not None:
        raise InvalidTransaction(f"transaction #{transaction_id} is itself a reversal")
    entries = [Entry(_account(key), -amount) for key, _unit, amount in original.entries]
    return await post(
        settings,
        Transaction(
            kind,
            f"reversal:{transaction_id}",
            entries,
            reference or original.reference,
            reverses=transaction_id,
        ),
    )


def coin_value(settings: Any, coins: int, currency: str) -> int:
    """What ``coins`` earned coins are worth in minor units of ``currency`` (rounded down).

    Raises:
        InvalidTransaction: The site sets no value of coins in ``currency``.
    """
    rates = payment_settings(settings).coin_value_per_hundred
    if currency not in rates:
        raise InvalidTransaction(
            f"earned coins cannot be converted to {currency} on this site"
            + (f"; choose one of: {', '.join(sorted(rates))}" if rates else "")
        )
    return coins * rates[currency] // 100


async def convert_coins(
    settings: Any, *, user_id: int, coins: int, currency: str, idempotency_key: str
) -> Posted:
    """Turn ``coins`` of the member's earned coins into earnings in ``currency``.

    The coins go back where coins come from; the money comes out of platform revenue,
    which received it when the coins were sold.

    Raises:
        InvalidTransaction: Bad amount, a currency without a coin value, or too few coins
            to be worth one minor unit.
        Overdraft: The member earned fewer coins than ``coins``; nothing is posted.
    """
    check_amount(coins, positive=True, what="the coins to convert")
    if check_unit(settings, currency) == COINS:
        raise InvalidTransaction("coins are converted to a currency, not to coins")
    value = coin_value(settings, coins, currency)
    if value < 1:
        raise InvalidTransaction(f"{coins} coins are worth less than one minor unit of {currency}")
    entries = [
        Entry(acc.earnings(user_id, COINS), -coins),
        Entry(acc.issuance(COINS), coins),
        Entry(acc.platform(currency), -value),
        Entry(acc.earnings(user_id, currency), value),
    ]
    return await post(settings, Transaction(CONVERSION, idempotency_key, entries))


def _account(key: str) -> acc.Account:
    kind, owner, unit = key.split(":", 2)
    return acc.Account(kind, owner, unit)
