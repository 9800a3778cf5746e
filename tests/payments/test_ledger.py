"""The ledger service: posting once, balances, reversals, and every refused input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import moves
from nichevid.payments.check import check
from nichevid.payments.ledger import (
    Entry,
    IdempotencyConflict,
    InvalidTransaction,
    Overdraft,
    Transaction,
    balance,
    history,
    post,
)
from nichevid.payments.tables import LedgerEntry, LedgerTransaction


async def test_post_moves_money_and_the_books_balance(nv_resources: Any, fund: Any) -> None:
    await fund(1, 500)
    spent = await moves.spend(
        nv_resources.settings, payer=1, payee=2, amount=100, unit="coins", idempotency_key="g1"
    )
    assert not spent.replayed
    assert await balance(acc.wallet(1, "coins")) == 400
    # 20 % platform cut, the creator earns the rest.
    assert await balance(acc.earnings(2, "coins")) == 80
    assert await balance(acc.platform("coins")) == 20
    lines = await history(acc.wallet(1, "coins"))
    assert [line.amount for line in lines] == [-100, 500]
    assert lines[0].kind == "spend"
    report = await check()
    assert report.ok, report
    assert report.transactions == 2


async def test_cut_rounds_in_the_creators_favour(nv_resources: Any, fund: Any) -> None:
    await fund(1, 7)
    await moves.spend(
        nv_resources.settings, payer=1, payee=2, amount=7, unit="coins", idempotency_key="odd"
    )
    assert await balance(acc.platform("coins")) == 1  # 20 % of 7 is 1.4
    assert await balance(acc.earnings(2, "coins")) == 6


async def test_same_key_same_body_returns_the_first_result(nv_resources: Any, fund: Any) -> None:
    await fund(1, 300)
    args = {"payer": 1, "payee": 2, "amount": 100, "unit": "coins", "idempotency_key": "k"}
    first = await moves.spend(nv_resources.settings, **args)
    again = await moves.spend(nv_resources.settings, **args)
    assert again.replayed
    assert again.id == first.id
    assert await balance(acc.wallet(1, "coins")) == 200
    assert await LedgerTransaction.count() == 2


async def test_same_key_other_body_is_refused(nv_resources: Any, fund: Any) -> None:
    await fund(1, 300)
    args = {"payer": 1, "payee": 2, "unit": "coins", "idempotency_key": "k"}
    await moves.spend(nv_resources.settings, amount=100, **args)
    with pytest.raises(IdempotencyConflict, match="already used for another transaction"):
        await moves.spend(nv_resources.settings, amount=150, **args)
    assert await balance(acc.wallet(1, "coins")) == 200


async def test_concurrent_replays_of_one_key_post_once(nv_resources: Any, fund: Any) -> None:
    await fund(1, 1000)
    args = {"payer": 1, "payee": 2, "amount": 10, "unit": "coins", "idempotency_key": "once"}
    results = await asyncio.gather(*(moves.spend(nv_resources.settings, **args) for _ in range(20)))
    assert len({r.id for r in results}) == 1
    assert await balance(acc.wallet(1, "coins")) == 990
    assert (await check()).ok


async def test_overdraft_is_refused_and_nothing_is_stored(nv_resources: Any, fund: Any) -> None:
    await fund(1, 50)
    with pytest.raises(Overdraft, match="wallet:1:coins holds too little") as caught:
        await moves.spend(
            nv_resources.settings, payer=1, payee=2, amount=51, unit="coins", idempotency_key="o"
        )
    assert caught.value.account == "wallet:1:coins"
    assert caught.value.status == 409
    assert await balance(acc.wallet(1, "coins")) == 50
    assert await balance(acc.earnings(2, "coins")) == 0
    assert await LedgerTransaction.count() == 1
    assert (await check()).ok
    # The refused key was not used up: the same key may post once the wallet holds enough.
    await fund(1, 1)
    await moves.spend(
        nv_resources.settings, payer=1, payee=2, amount=51, unit="coins", idempotency_key="o"
    )
    assert await balance(acc.wallet(1, "coins")) == 0


async def test_200_concurrent_spends_from_a_wallet_that_affords_50(
    nv_resources: Any, fund: Any
) -> None:
    await fund(1, 50 * 10)
    settings = nv_resources.settings

    async def gift(number: int) -> bool:
        try:
            await moves.spend(
                settings,
                payer=1,
                payee=2,
                amount=10,
                unit="coins",
                idempotency_key=f"gift:{number}",
                kind="gift",
            )
        except Overdraft:
            return False
        return True

    # Separate tasks: each post runs its own database transaction on its own connection.
    outcomes = await asyncio.gather(*(asyncio.create_task(gift(n)) for n in range(200)))
    assert outcomes.count(True) == 50
    assert await balance(acc.wallet(1, "coins")) == 0
    assert await balance(acc.earnings(2, "coins")) == 50 * 8
    assert await balance(acc.platform("coins")) == 50 * 2
    report = await check()
    assert report.ok, report
    assert report.transactions == 51


async def test_reversal_undoes_once(nv_resources: Any, fund: Any) -> None:
    settings = nv_resources.settings
    await fund(1, 100)
    spent = await moves.spend(
        settings, payer=1, payee=2, amount=100, unit="coins", idempotency_key="r"
    )
    undone = await moves.reverse(settings, spent.id, kind="refund")
    again = await moves.reverse(settings, spent.id, kind="refund")
    assert again.replayed
    assert again.id == undone.id
    assert undone.reverses == spent.id
    assert await balance(acc.wallet(1, "coins")) == 100
    assert await balance(acc.earnings(2, "coins")) == 0
    with pytest.raises(IdempotencyConflict):
        await moves.reverse(settings, spent.id, kind="chargeback")
    with pytest.raises(InvalidTransaction, match="is itself a reversal"):
        await moves.reverse(settings, undone.id)
    with pytest.raises(InvalidTransaction, match="no transaction #999999"):
        await moves.reverse(settings, 999999)
    with pytest.raises(InvalidTransaction, match="not 'gift'"):
        await moves.reverse(settings, spent.id, kind="gift")
    assert (await check()).ok


async def test_reversal_of_spent_money_is_refused(nv_resources: Any, fund: Any) -> None:
    settings = nv_resources.settings
    topped = await fund(1, 100)
    await moves.spend(settings, payer=1, payee=2, amount=100, unit="coins", idempotency_key="s")
    with pytest.raises(Overdraft, match="wallet:1:coins"):
        await moves.reverse(settings, topped.id, kind="chargeback")
    assert await balance(acc.wallet(1, "coins")) == 0
    assert (await check()).ok


async def test_top_up_buying_coins_and_in_a_currency(nv_resources: Any) -> None:
    settings = nv_resources.settings
    args = {"provider": "test", "user_id": 1, "currency": "EUR"}
    await moves.top_up(
        settings, paid=499, credit=500, credit_unit="coins", idempotency_key="p1", **args
    )
    await moves.top_up(
        settings, paid=1000, credit=1000, credit_unit="EUR", idempotency_key="p2", **args
    )
    assert await balance(acc.wallet(1, "coins")) == 500
    assert await balance(acc.wallet(1, "EUR")) == 1000
    assert await balance(acc.clearing("test", "EUR")) == -1499
    assert await balance(acc.platform("EUR")) == 499
    assert await balance(acc.issuance()) == -500
    with pytest.raises(InvalidTransaction, match="credits what was paid"):
        await moves.top_up(
            settings, paid=10, credit=11, credit_unit="EUR", idempotency_key="p3", **args
        )
    with pytest.raises(InvalidTransaction, match="cannot credit USD"):
        await moves.top_up(
            settings, paid=10, credit=10, credit_unit="USD", idempotency_key="p4", **args
        )
    with pytest.raises(InvalidTransaction, match="not in coins"):
        await moves.top_up(
            settings,
            provider="test",
            user_id=1,
            currency="coins",
            paid=10,
            credit=10,
            credit_unit="coins",
            idempotency_key="p5",
        )
    assert (await check()).ok


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (-5, "is negative"),
        (1.5, "is not a whole number"),
        (10.0, "is not a whole number"),
        ("10", "is not a whole number"),
        (True, "is not a whole number"),
        (0, "is zero"),
        (10**16, "is too large"),
    ],
)
async def test_bad_amounts_are_refused(
    nv_resources: Any, fund: Any, amount: Any, message: str
) -> None:
    await fund(1, 100)
    with pytest.raises(InvalidTransaction, match=message):
        await moves.spend(
            nv_resources.settings,
            payer=1,
            payee=2,
            amount=amount,
            unit="coins",
            idempotency_key="b",
        )
    assert await balance(acc.wallet(1, "coins")) == 100
    assert await LedgerTransaction.count() == 1


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([(acc.wallet(1, "GBP"), 5), (acc.platform("GBP"), -5)], "unknown currency 'GBP'"),
        ([(acc.wallet(1, "eur"), 5), (acc.platform("eur"), -5)], "unknown currency 'eur'"),
        ([(acc.wallet(1, "EUR"), 5), (acc.platform("EUR"), -4)], r"per unit \(\+1 EUR\)"),
        ([(acc.wallet(1, "EUR"), 5), (acc.platform("USD"), -5)], "do not sum to zero"),
        ([(acc.wallet(1, "EUR"), 0), (acc.platform("EUR"), 0)], "is zero"),
        ([(acc.platform("EUR"), 5)], "at least two entries"),
        ([(acc.wallet(1, "EUR"), 2.5), (acc.platform("EUR"), -2.5)], "not a whole number"),
    ],
)
async def test_bad_transactions_are_refused(
    nv_resources: Any, entries: list[tuple[acc.Account, Any]], message: str
) -> None:
    txn = Transaction("adjust", "bad", [Entry(a, amount) for a, amount in entries])
    with pytest.raises(InvalidTransaction, match=message):
        await post(nv_resources.settings, txn)
    assert await LedgerEntry.count() == 0


async def test_bad_keys_and_self_payment_are_refused(nv_resources: Any, fund: Any) -> None:
    settings = nv_resources.settings
    await fund(1, 100)
    entries = [Entry(acc.wallet(1, "coins"), -1), Entry(acc.platform("coins"), 1)]
    for key in ("", "k" * 201):
        with pytest.raises(InvalidTransaction, match="idempotency key of 1 to 200"):
            await post(settings, Transaction("adjust", key, entries))
    with pytest.raises(InvalidTransaction, match="cannot pay themselves"):
        await moves.spend(settings, payer=1, payee=1, amount=5, unit="coins", idempotency_key="x")
    with pytest.raises(acc.AccountError, match="unknown account kind"):
        acc.Account("bank", "", "EUR")
    with pytest.raises(acc.AccountError, match="needs an owner"):
        acc.Account("wallet", "", "EUR")
    with pytest.raises(InvalidTransaction, match="pages count from 1"):
        await history(acc.wallet(1, "coins"), page=0)
    assert await balance(acc.wallet(1, "coins")) == 100
