"""Property tests: any sequence of posts, reversals and refused overdrafts keeps the books.

A plain model (a dict of balances) follows every operation; after each sequence the
ledger agrees with the model, every invariant of ``ledger check`` holds, and no wallet
or earnings account is below zero.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nichevid.db import clear_tables
from nichevid.payments import accounts as acc
from nichevid.payments import moves
from nichevid.payments.check import check
from nichevid.payments.ledger import IdempotencyConflict, Overdraft, balance

MEMBERS = (1, 2, 3)

operation = st.one_of(
    st.tuples(st.just("top_up"), st.sampled_from(MEMBERS), st.integers(1, 300)),
    st.tuples(
        st.just("spend"),
        st.sampled_from(MEMBERS),
        st.sampled_from(MEMBERS),
        st.integers(1, 400),
    ),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
    st.tuples(st.just("replay"), st.integers(0, 30)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=25))
async def test_random_sequences_keep_the_invariants(
    nv_resources: Any, operations: list[tuple[Any, ...]]
) -> None:
    await clear_tables(nv_resources.app_configs)
    config = nv_resources.settings
    model: dict[str, int] = {}
    posted: list[tuple[int, str, list[tuple[str, str, int]], tuple[Any, ...]]] = []
    reversed_ids: set[int] = set()

    def apply(entries: list[tuple[str, str, int]], sign: int = 1) -> None:
        for key, _unit, amount in entries:
            model[key] = model.get(key, 0) + sign * amount

    for number, op in enumerate(operations):
        key = f"op:{number}"
        if op[0] == "top_up":
            _, member, amount = op
            done = await moves.top_up(
                config,
                provider="test",
                user_id=member,
                paid=amount,
                currency="EUR",
                credit=amount * 10,
                credit_unit="coins",
                idempotency_key=key,
            )
            apply(done.entries)
            posted.append((done.id, key, done.entries, op))
        elif op[0] == "spend":
            _, payer, payee, amount = op
            if payer == payee:
                continue
            wallet = acc.wallet(payer, "coins").key
            try:
                done = await moves.spend(
                    config,
                    payer=payer,
                    payee=payee,
                    amount=amount,
                    unit="coins",
                    idempotency_key=key,
                )
            except Overdraft:
                # Refused exactly when the wallet could not afford it.
                assert model.get(wallet, 0) < amount
                continue
            assert model.get(wallet, 0) >= amount
            apply(done.entries)
            posted.append((done.id, key, done.entries, op))
        elif op[0] == "reverse" and posted:
            txn_id, _, entries, _ = posted[op[1] % len(posted)]
            would_go_negative = any(
                model.get(k, 0) - amount < 0
                for k, _u, amount in entries
                if not k.startswith(("platform", "clearing", "issuance", "refunds"))
            )
            try:
                undone = await moves.reverse(config, txn_id)
            except Overdraft:
                assert would_go_negative
                continue
            if txn_id in reversed_ids:
                assert undone.replayed
            else:
                assert not would_go_negative
                apply(entries, -1)
                reversed_ids.add(txn_id)
        elif op[0] == "replay" and posted:
            txn_id, old_key, _, original = posted[op[1] % len(posted)]
            if original[0] == "spend":
                _, payer, payee, amount = original
                again = await moves.spend(
                    config,
                    payer=payer,
                    payee=payee,
                    amount=amount,
                    unit="coins",
                    idempotency_key=old_key,
                )
                assert again.replayed
                assert again.id == txn_id
                try:
                    await moves.spend(
                        config,
                        payer=payer,
                        payee=payee,
                        amount=amount + 1,
                        unit="coins",
                        idempotency_key=old_key,
                    )
                    raise AssertionError("a replayed key with another body was accepted")
                except IdempotencyConflict:
                    pass

    report = await check()
    assert report.ok, report.as_dict()
    for key, expected in model.items():
        kind, owner, unit = key.split(":", 2)
        assert await balance(acc.Account(kind, owner, unit)) == expected, key
    for member in MEMBERS:
        assert await balance(acc.wallet(member, "coins")) >= 0
        assert await balance(acc.earnings(member, "coins")) >= 0
