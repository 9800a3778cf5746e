"""Payout requests: held at once, one pending at a time, decided once, refused clearly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import moves, payouts
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.tables import Payout


@pytest.fixture
def earn(nv_resources: Any, fund: Any) -> Any:
    """``await earn(creator_id, amount, unit="EUR")``: a fan pays the creator ``amount``
    (the creator earns 80 % of it)."""
    counter = iter(range(1_000_000))

    async def give(creator_id: int, amount: int, unit: str = "EUR", kind: str = "gift") -> Any:
        from nichevid.accounts import services

        n = next(counter)
        fan = await services.create_user(
            nv_resources.settings,
            nv_resources.pm,
            username=f"fan{creator_id}x{n}",
            email=f"fan{creator_id}x{n}@example.org",
            password="correct horse battery",
        )
        await fund(fan.id, amount, unit)
        return await moves.spend(
            nv_resources.settings,
            payer=fan.id,
            payee=creator_id,
            amount=amount,
            unit=unit,
            kind=kind,
            idempotency_key=f"earn:{creator_id}:{n}",
        )

    return give


def _ask(settings: Any, user_id: int, amount: Any, unit: str = "EUR", key: str = "") -> Any:
    return payouts.request(
        settings,
        user_id=user_id,
        amount=amount,
        unit=unit,
        details="IBAN DE89 3704 0044 0532 0130 00",
        request_key=key or "form-key-0001",
    )


async def test_a_request_holds_the_amount_and_approval_pays_it_out(
    nv_resources: Any, make_user: Any, earn: Any
) -> None:
    settings = nv_resources.settings
    cara = await make_user("cara")
    await earn(cara.id, 5000)  # cara earns 40.00 EUR
    assert await balance(acc.earnings(cara.id, "EUR")) == 4000
    outcome = await _ask(settings, cara.id, 3000)
    assert not outcome.replayed
    assert outcome.payout.status == "pending"
    assert await balance(acc.earnings(cara.id, "EUR")) == 1000
    assert await balance(acc.payouts(cara.id, "EUR")) == 3000
    # What is held cannot be spent twice: only the rest is there for a second ask.
    decided = await payouts.approve(settings, outcome.payout.id)
    assert decided.status == "approved"
    assert await balance(acc.payouts(cara.id, "EUR")) == 0
    assert await balance(acc.paid_out("EUR")) == 3000
    assert await payouts.mark_paid([decided.id]) == 1
    assert await payouts.mark_paid([decided.id]) == 0  # paid stays paid
    stored = await Payout.objects().where(Payout.id == decided.id).first()
    assert stored is not None
    assert stored.status == "paid"
    assert stored.paid_at is not None
    assert (await check()).ok


async def test_rejection_returns_the_hold_with_a_reason(
    nv_resources: Any, make_user: Any, earn: Any
) -> None:
    settings = nv_resources.settings
    cara = await make_user("cara")
    await earn(cara.id, 5000)
    outcome = await _ask(settings, cara.id, 4000)
    assert await balance(acc.earnings(cara.id, "EUR")) == 0
    with pytest.raises(payouts.PayoutError, match="Say why") as empty:
        await payouts.reject(settings, outcome.payout.id, "  ")
    assert empty.value.status == 400
    rejected = await payouts.reject(settings, outcome.payout.id, "The IBAN is not valid.")
    assert (rejected.status, rejected.reason) == ("rejected", "The IBAN is not valid.")
    assert await balance(acc.earnings(cara.id, "EUR")) == 4000
    assert await balance(acc.payouts(cara.id, "EUR")) == 0
    # Decided once: neither a second rejection nor an approval changes anything.
    for decide in (
        payouts.approve(settings, outcome.payout.id),
        payouts.reject(settings, outcome.payout.id, "again"),
    ):
        with pytest.raises(payouts.PayoutError, match="already rejected") as late:
            await decide
        assert late.value.status == 409
    assert await balance(acc.earnings(cara.id, "EUR")) == 4000
    assert (await check()).ok


async def test_approving_twice_is_refused(nv_resources: Any, make_user: Any, earn: Any) -> None:
    settings = nv_resources.settings
    cara = await make_user("cara")
    await earn(cara.id, 5000)
    outcome = await _ask(settings, cara.id, 2000)
    await payouts.approve(settings, outcome.payout.id)
    with pytest.raises(payouts.PayoutError, match="already approved") as twice:
        await payouts.approve(settings, outcome.payout.id)
    assert twice.value.status == 409
    with pytest.raises(payouts.PayoutError) as unknown:
        await payouts.approve(settings, 999_999)
    assert unknown.value.status == 404
    assert await balance(acc.paid_out("EUR")) == 2000


@pytest.mark.parametrize(
    ("amount", "unit", "status", "message"),
    [
        (4001, "EUR", 409, "at most 40.00 EUR"),
        (999, "EUR", 400, "smallest payout is 10.00 EUR"),
        (-1000, "EUR", 400, "whole number of minor units above zero"),
        (0, "EUR", 400, "whole number of minor units above zero"),
        (1000.5, "EUR", 400, "whole number of minor units above zero"),
        ("1000", "EUR", 400, "whole number of minor units above zero"),
        (1000, "XYZ", 400, "XYZ is not a currency of this site"),
        (1000, "coins", 400, "Coins are not paid out"),
    ],
)
async def test_bad_requests_are_refused_and_nothing_is_held(
    nv_resources: Any,
    make_user: Any,
    earn: Any,
    amount: Any,
    unit: str,
    status: int,
    message: str,
) -> None:
    cara = await make_user("cara")
    await earn(cara.id, 5000)
    with pytest.raises(payouts.PayoutError, match=message) as refused:
        await _ask(nv_resources.settings, cara.id, amount, unit)
    assert refused.value.status == status
    assert await balance(acc.earnings(cara.id, "EUR")) == 4000
    assert await Payout.count() == 0


async def test_bad_details_and_keys_are_refused(
    nv_resources: Any, make_user: Any, earn: Any
) -> None:
    cara = await make_user("cara")
    await earn(cara.id, 5000)
    for details, key, message in [
        ("", "form-key-123", "Say where the money goes"),
        ("x" * 301, "form-key-123", "at most 300 characters"),
        ("IBAN", "short", "reload the page"),
        ("IBAN", "bad key with spaces", "reload the page"),
    ]:
        with pytest.raises(payouts.PayoutError, match=message):
            await payouts.request(
                nv_resources.settings,
                user_id=cara.id,
                amount=2000,
                unit="EUR",
                details=details,
                request_key=key,
            )
    assert await Payout.count() == 0


async def test_double_submit_asks_once_and_one_request_waits_at_a_time(
    nv_resources: Any, make_user: Any, earn: Any
) -> None:
    settings = nv_resources.settings
    cara = await make_user("cara")
    await earn(cara.id, 5000)
    first = await _ask(settings, cara.id, 1500, key="the-same-form")
    again = await _ask(settings, cara.id, 1500, key="the-same-form")
    assert again.replayed
    assert again.payout.id == first.payout.id
    # The same key with another amount is not a double submit: it is refused.
    with pytest.raises(payouts.PayoutError, match="already sent with other values") as forged:
        await _ask(settings, cara.id, 1600, key="the-same-form")
    assert forged.value.status == 409
    with pytest.raises(payouts.PayoutError, match="already have a payout request") as second:
        await _ask(settings, cara.id, 1000, key="another-form")
    assert second.value.status == 409
    assert await balance(acc.earnings(cara.id, "EUR")) == 2500
    await payouts.approve(settings, first.payout.id)
    # Once decided, the creator may ask again.
    assert not (await _ask(settings, cara.id, 1000, key="another-form")).replayed


async def test_two_simultaneous_requests_for_the_whole_balance_one_succeeds(
    nv_resources: Any, make_user: Any, earn: Any
) -> None:
    settings = nv_resources.settings
    cara = await make_user("cara")
    await earn(cara.id, 5000)

    async def ask(n: int) -> Any:
        try:
            return await _ask(settings, cara.id, 4000, key=f"simultaneous-{n}")
        except payouts.PayoutError as exc:
            return exc

    outcomes = await asyncio.gather(*(asyncio.create_task(ask(n)) for n in range(2)))
    stored = [o for o in outcomes if isinstance(o, payouts.Outcome)]
    refused = [o for o in outcomes if isinstance(o, payouts.PayoutError)]
    assert len(stored) == 1
    assert len(refused) == 1
    assert refused[0].status == 409
    assert await balance(acc.earnings(cara.id, "EUR")) == 0
    assert await balance(acc.payouts(cara.id, "EUR")) == 4000
    assert await Payout.count() == 1
    assert (await check()).ok


async def test_a_request_stored_without_its_hold_is_held_when_decided(
    nv_resources: Any, make_user: Any, earn: Any
) -> None:
    """A process that stopped between storing the request and holding the money."""
    settings = nv_resources.settings
    cara = await make_user("cara")
    await earn(cara.id, 5000)
    orphan = Payout(owner=str(cara.id), request_key="k" * 10, amount=2000, unit="EUR")
    await orphan.save()
    await payouts.approve(settings, orphan.id)
    assert await balance(acc.earnings(cara.id, "EUR")) == 2000
    assert await balance(acc.paid_out("EUR")) == 2000
    assert (await check()).ok
