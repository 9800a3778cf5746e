"""Property test: any sequence of earnings, payout requests and decisions keeps the books.

A plain model follows each creator's earnings, what is held and what was paid out;
after each sequence the ledger agrees with it, a member never has two pending
requests, and every invariant of ``ledger check`` holds.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nichevid.db import clear_tables
from nichevid.payments import accounts as acc
from nichevid.payments import moves, payouts
from nichevid.payments.check import check
from nichevid.payments.ledger import Entry, Transaction, balance, post
from nichevid.payments.tables import Payout

CREATORS = (1, 2)
FAN = 9

operation = st.one_of(
    st.tuples(st.just("earn"), st.sampled_from(CREATORS), st.integers(1, 5000)),
    st.tuples(st.just("ask"), st.sampled_from(CREATORS), st.integers(-10, 6000)),
    st.tuples(st.just("approve"), st.integers(0, 10)),
    st.tuples(st.just("reject"), st.integers(0, 10)),
    st.tuples(st.just("paid"), st.integers(0, 10)),
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=20))
async def test_random_payout_sequences_keep_the_books(
    nv_resources: Any, operations: list[tuple[Any, ...]]
) -> None:
    await clear_tables(nv_resources.app_configs)
    config = nv_resources.settings
    earned = dict.fromkeys(CREATORS, 0)
    held = dict.fromkeys(CREATORS, 0)
    paid_out = 0
    asked: list[tuple[int, int, int]] = []  # payout id, creator, amount
    for number, op in enumerate(operations):
        if op[0] == "earn":
            _, creator, amount = op
            fan = acc.wallet(FAN, "EUR")
            source = acc.clearing("test", "EUR")
            await post(
                config,
                Transaction("top_up", f"f{number}", [Entry(source, -amount), Entry(fan, amount)]),
            )
            await moves.spend(
                config, payer=FAN, payee=creator, amount=amount, unit="EUR",
                kind="gift", idempotency_key=f"g{number}",
            )  # fmt: skip
            earned[creator] += amount - moves.platform_cut(config, amount)
        elif op[0] == "ask":
            _, creator, amount = op
            try:
                done = await payouts.request(
                    config, user_id=creator, amount=amount, unit="EUR", details="IBAN",
                    request_key=f"request-{number}",
                )  # fmt: skip
            except payouts.PayoutError as exc:
                refused: str = exc.message
            else:
                refused = ""
            if refused:
                # Refused only below the minimum, above the earnings, or while one waits.
                assert amount < 1000 or amount > earned[creator] or held[creator], refused
                continue
            assert 1000 <= amount <= earned[creator]
            assert not held[creator]
            earned[creator] -= amount
            held[creator] += amount
            asked.append((int(done.payout.id), creator, amount))
        elif asked:
            payout_id, creator, amount = asked[op[1] % len(asked)]
            before = (await Payout.objects().where(Payout.id == payout_id).first()).status  # type: ignore[union-attr]
            try:
                if op[0] == "approve":
                    await payouts.approve(config, payout_id)
                elif op[0] == "reject":
                    await payouts.reject(config, payout_id, "no")
                else:
                    await payouts.mark_paid([payout_id])
            except payouts.PayoutError as exc:
                late = exc.message
            else:
                late = ""
            if late:
                assert before != "pending", late  # only decided requests refuse a decision
                continue
            if op[0] == "approve":
                held[creator] -= amount
                paid_out += amount
            elif op[0] == "reject":
                held[creator] -= amount
                earned[creator] += amount
    for creator in CREATORS:
        assert await balance(acc.earnings(creator, "EUR")) == earned[creator]
        assert await balance(acc.payouts(creator, "EUR")) == held[creator]
        pending = await Payout.count().where(
            (Payout.owner == str(creator)) & (Payout.status == "pending")
        )
        assert pending == (1 if held[creator] else 0)
    assert await balance(acc.paid_out("EUR")) == paid_out
    report = await check()
    assert report.ok, report
