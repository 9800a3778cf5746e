"""Changing tier: up at once with the provider's proration, down from the next month.

Cara offers Fan (level 1, 4.99 EUR) and Patron (level 2, 9.00 EUR); the platform
keeps 20 % of every amount, rounded down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import stripe

from nichevid.payments import accounts as acc
from nichevid.payments import events
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.tables import LedgerTransaction, PaymentEvent
from nichevid.testing.factories import ready_video
from nichevid_subscriptions import access, services, tiers
from nichevid_subscriptions.errors import SubscriptionError
from tests.payments.test_stripe import signed, stripe_event

from .conftest import MONTH, deliver, event_body, form, fresh, login, subscribed, with_stripe


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    return with_stripe(nv_settings_factory)


def _earned(amount: int) -> int:
    return amount - amount * 20 // 100


async def _transactions() -> int:
    return int(await LedgerTransaction.count())


async def test_moving_up_applies_at_once_with_the_proration_once(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    cara, ann = people["cara"], people["ann"]
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    video = await ready_video(cara, caption="for patrons", visibility="subscribers")
    await access.set_video_tier(video, patron)
    end = int(time.time()) + MONTH // 2  # half the month is left
    sub = await subscribed(nv_resources, ann, fan, end)
    assert not await access.may_watch(video, ann)
    before = time.time()
    await services.change_tier(nv_resources, ann, int(sub.id), int(patron.id))
    after = time.time()
    row = await fresh(sub)
    assert (int(row.tier), int(row.price), int(row.next_tier)) == (int(patron.id), 900, 0)
    assert await access.may_watch(video, ann)
    [changed] = await PaymentEvent.objects().where(PaymentEvent.type == "subscription.changed")
    assert changed.status == "applied"
    # The difference (4.01 EUR) for the share of the month left, rounded down.
    low = 401 * int(end - after) // MONTH
    high = 401 * int(end - before + 1) // MONTH
    assert low <= changed.amount <= high
    assert 190 <= changed.amount <= 210
    assert await balance(acc.earnings(cara.id, "EUR")) == 400 + _earned(changed.amount)
    # Applying the stored event again, or reconciling, posts nothing more.
    count = await _transactions()
    assert await events.apply(nv_resources, changed) == "applied"
    assert await events.reconcile(nv_resources, older_than=0) == 0
    assert await _transactions() == count
    # The next month is paid at the new price; the old one would be refused.
    old = event_body(sub, "subscription.renewed", event_id="evt_old", period_end=end + MONTH,
                     amount=499)  # fmt: skip
    assert await deliver(nv_resources, old) == ["refused"]
    renewal = event_body(row, "subscription.renewed", event_id="evt_new", period_end=end + MONTH)
    assert await deliver(nv_resources, renewal) == ["applied"]
    assert await balance(acc.earnings(cara.id, "EUR")) == 400 + _earned(changed.amount) + 720
    assert (await check()).ok


async def test_moving_down_waits_for_the_next_month(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    cara, bob = people["cara"], people["bob"]
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    video = await ready_video(cara, caption="for patrons", visibility="subscribers")
    await access.set_video_tier(video, patron)
    end = int(time.time()) + MONTH
    sub = await subscribed(nv_resources, bob, patron, end)
    await login(nv_client, "bob")
    page = await nv_client.get("/subscriptions/mine", headers={"accept": "text/html"})
    assert f'action="/subscriptions/{sub.id}/tier"' in page.text
    assert f'<option value="{fan.id}">Fan · 4.99 EUR</option>' in page.text
    moved = await form(nv_client, f"/subscriptions/{sub.id}/tier", {"tier": str(fan.id)})
    assert moved.status_code == 303
    row = await fresh(sub)
    assert (int(row.tier), int(row.next_tier), int(row.next_price)) == (
        int(patron.id),
        int(fan.id),
        499,
    )
    # Nothing is charged or refunded now, and Bob keeps the tier he paid for.
    assert await PaymentEvent.count().where(PaymentEvent.type == "subscription.changed") == 0
    assert await access.may_watch(video, bob)
    page = await nv_client.get("/subscriptions/mine", headers={"accept": "text/html"})
    assert "Changing to Fan" in page.text
    renewal = event_body(sub, "subscription.renewed", event_id="evt_down", period_end=end + MONTH,
                         amount=499)  # fmt: skip
    assert await deliver(nv_resources, renewal) == ["applied"]
    assert await deliver(nv_resources, renewal) == ["duplicate"]
    row = await fresh(sub)
    assert (int(row.tier), int(row.price), int(row.next_tier)) == (int(fan.id), 499, 0)
    assert not await access.may_watch(video, bob)
    assert await balance(acc.earnings(cara.id, "EUR")) == 720 + 400
    # Changing one's mind: down again, then back to the current tier drops the change.
    await services.change_tier(nv_resources, bob, int(sub.id), int(patron.id))
    assert int((await fresh(sub)).tier) == int(patron.id)
    await services.change_tier(nv_resources, bob, int(sub.id), int(fan.id))
    await services.change_tier(nv_resources, bob, int(sub.id), int(patron.id))
    row = await fresh(sub)
    assert (int(row.tier), int(row.next_tier)) == (int(patron.id), 0)
    assert (await check()).ok


async def test_changes_that_cannot_be_made_are_refused(
    nv_client: Any,
    nv_resources: Any,
    make_user: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
) -> None:
    settings = nv_resources.settings
    cara, ann = people["cara"], people["ann"]
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    eve = await make_user("eve", role="creator")
    hers = await tiers.create_tier(settings, eve, tiers.TierInput("Hers", "3", "EUR", "", "H"))
    dollars = await tiers.create_tier(
        settings, cara, tiers.TierInput("Dollar", "5", "USD", "", "D", "3")
    )
    old = await tiers.create_tier(settings, cara, tiers.TierInput("Old", "6", "EUR", "", "O", "4"))
    await tiers.retire_tier(cara, int(old.id))
    sub = await subscribed(nv_resources, ann, fan)
    cases = [
        (ann, hers.id, 409, "this creator's tiers on offer"),
        (ann, old.id, 409, "this creator's tiers on offer"),
        (ann, dollars.id, 409, "priced in USD"),
        (ann, fan.id, 409, "this tier already"),
        (ann, 999999, 404, "not offered"),
        (people["bob"], patron.id, 404, "no such subscription"),
    ]
    for who, tier_id, status, message in cases:
        with pytest.raises(SubscriptionError) as refused:
            await services.change_tier(nv_resources, who, int(sub.id), int(tier_id))
        assert refused.value.status == status, message
        assert message in refused.value.message
    await login(nv_client, "ann")
    bad = await form(nv_client, f"/subscriptions/{sub.id}/tier", {"tier": "patron"})
    assert bad.status_code == 400
    assert "Choose one of this creator&#39;s tiers on offer" in bad.text
    await services.cancel(nv_resources, ann, int(sub.id))
    with pytest.raises(SubscriptionError) as ended:
        await services.change_tier(nv_resources, ann, int(sub.id), int(patron.id))
    assert ended.value.status == 409
    row = await fresh(sub)
    assert (int(row.tier), int(row.next_tier)) == (int(fan.id), 0)


async def test_stripe_changes_tier_with_its_own_proration(
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cara, ann = people["cara"], people["ann"]
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    monkeypatch.setattr(
        stripe.checkout.Session,
        "create",
        lambda **params: SimpleNamespace(id="cs_1", url="https://checkout.stripe.com/c/pay/cs_1"),
    )
    modified: list[tuple[str, dict[str, Any]]] = []
    item = {"id": "si_1", "price": {"id": "price_1", "product": "prod_1"}}
    monkeypatch.setattr(
        stripe.Subscription, "retrieve", lambda ref, **kw: {"id": ref, "items": {"data": [item]}}
    )
    monkeypatch.setattr(
        stripe.Subscription, "modify", lambda ref, **params: modified.append((ref, params))
    )
    sub, _ = await services.subscribe(nv_resources, ann, int(fan.id), "stripe")
    end = int(time.time()) + MONTH

    async def send(body: bytes) -> list[str]:
        return await events.receive(nv_resources, "stripe", body, signed(body))

    def paid(event_id: str, amount: int, start: int, stop: int, reason: str) -> bytes:
        obj = {
            "id": f"in_{event_id}",
            "object": "invoice",
            "billing_reason": reason,
            "amount_paid": amount,
            "amount_due": amount,
            "currency": "eur",
            "subscription": "sub_9",
            "subscription_details": {"metadata": {"checkout": sub.checkout_token}},
            "lines": {"data": [{"period": {"start": start, "end": stop}}]},
        }
        return stripe_event(event_id, "invoice.paid", obj)

    first = paid("evt_first", 499, end - MONTH, end, "subscription_create")
    assert await send(first) == ["applied"]
    await services.change_tier(nv_resources, ann, int(sub.id), int(patron.id))
    [(ref, params)] = modified
    assert ref == "sub_9"
    assert params["proration_behavior"] == "always_invoice"
    assert params["items"] == [
        {
            "id": "si_1",
            "price_data": {
                "currency": "eur",
                "unit_amount": 900,
                "product": "prod_1",
                "recurring": {"interval": "month"},
            },
        }
    ]
    # Until Stripe reports the change, Ann keeps Fan; its proration invoice switches her.
    assert int((await fresh(sub)).next_tier) == int(patron.id)
    moment = int(time.time())
    proration = paid("evt_prorate", 250, moment, end, "subscription_update")
    assert await send(proration) == ["applied"]
    assert await send(proration) == ["duplicate"]
    row = await fresh(sub)
    assert (int(row.tier), int(row.price), int(row.next_tier)) == (int(patron.id), 900, 0)
    assert await balance(acc.earnings(cara.id, "EUR")) == 400 + _earned(250)
    # Down again: no proration, and the next invoice carries the lower price.
    await services.change_tier(nv_resources, ann, int(sub.id), int(fan.id))
    assert modified[-1][1]["proration_behavior"] == "none"
    assert modified[-1][1]["items"][0]["price_data"]["unit_amount"] == 499
    cycle = paid("evt_cycle", 499, end, end + MONTH, "subscription_cycle")
    assert await send(cycle) == ["applied"]
    row = await fresh(sub)
    assert (int(row.tier), int(row.price)) == (int(fan.id), 499)
    assert await balance(acc.earnings(cara.id, "EUR")) == 400 + _earned(250) + 400
    assert (await check()).ok


async def test_a_provider_that_cannot_be_reached_changes_nothing(
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nichevid.payments.test_provider import TestProvider

    async def down(self: Any, change: Any) -> Any:
        from nichevid.payments.providers import WebhookError

        raise WebhookError("network down", 502)

    sub = await subscribed(nv_resources, people["ann"], two_tiers["fan"])
    monkeypatch.setattr(TestProvider, "change_subscription", down)
    with pytest.raises(SubscriptionError) as refused:
        await services.change_tier(
            nv_resources, people["ann"], int(sub.id), int(two_tiers["patron"].id)
        )
    assert refused.value.status == 502
    row = await fresh(sub)
    assert (int(row.tier), int(row.next_tier)) == (int(two_tiers["fan"].id), 0)
