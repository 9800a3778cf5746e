"""Subscribing and the provider's events: each period paid once, any order, grace, lapse."""

from __future__ import annotations

import time
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import events
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.providers import WebhookError
from nichevid.payments.tables import Checkout, LedgerTransaction, PaymentEvent
from nichevid_subscriptions import access, services
from nichevid_subscriptions.errors import SubscriptionError
from nichevid_subscriptions.lifecycle import period_key

from .conftest import (
    MONTH,
    deliver,
    event_body,
    form,
    fresh,
    login,
    started,
    subscribed,
)


async def test_member_subscribes_through_the_test_checkout(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    fan = two_tiers["fan"]
    await login(nv_client, "ann")
    offer = await nv_client.get("/subscriptions/c/cara", headers={"accept": "text/html"})
    assert offer.status_code == 200
    assert "4.99 EUR" in offer.text
    assert "Subscribe with test payments: no money moves" in offer.text
    begun = await form(nv_client, f"/subscriptions/subscribe/{fan.id}", {"provider": "test"})
    assert begun.status_code == 303
    url = begun.headers["location"]
    assert url.startswith("/payments/test/")
    page = await nv_client.get(url, headers={"accept": "text/html"})
    assert "Test payments: no money moves" in page.text
    assert "You subscribe for 4.99 EUR a month, until you cancel." in page.text
    done = await form(nv_client, f"{url}/confirm", {})
    assert done.status_code == 303
    assert done.headers["location"] == "/subscriptions/mine"
    # 4.99 EUR: the platform keeps 20 % rounded down (99), the creator earns the rest.
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 400
    assert await balance(acc.platform("EUR")) == 99
    assert await balance(acc.clearing("test", "EUR")) == -499
    # Nothing lands in the member's wallet: the money went to the creator.
    assert await balance(acc.wallet(people["ann"].id, "EUR")) == 0
    mine = await nv_client.get("/subscriptions/mine", headers={"accept": "text/html"})
    assert "@cara" in mine.text
    assert "active" in mine.text
    # Confirming the closed checkout again starts no second period.
    await form(nv_client, f"{url}/confirm", {})
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "subscription") == 1
    assert await access.live_level(people["ann"].id, people["cara"].id) == 1
    assert (await check()).ok


async def test_the_same_event_three_times_pays_the_period_once(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    sub = await started(nv_resources, people["ann"], two_tiers["fan"])
    end = int(time.time()) + MONTH
    body = event_body(sub, "subscription.activated", event_id="evt_a", period_end=end)
    assert await deliver(nv_resources, body) == ["applied"]
    assert await deliver(nv_resources, body) == ["duplicate"]
    assert await deliver(nv_resources, body) == ["duplicate"]
    # Another event about the same period (a provider's second notice) pays nothing more.
    again = event_body(sub, "subscription.renewed", event_id="evt_b", period_end=end)
    assert await deliver(nv_resources, again) == ["applied"]
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 400
    assert (
        await LedgerTransaction.count().where(
            LedgerTransaction.idempotency_key == period_key(sub, end)
        )
        == 1
    )


async def test_renewals_each_pay_their_own_period_in_any_order(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    sub = await started(nv_resources, people["ann"], two_tiers["fan"])
    first = int(time.time()) + 60
    second = first + MONTH
    # The renewal arrives before the activation.
    renewal = event_body(sub, "subscription.renewed", event_id="evt_r", period_end=second)
    assert await deliver(nv_resources, renewal) == ["applied"]
    row = await fresh(sub)
    assert (row.status, row.period_end) == ("active", second)
    activation = event_body(sub, "subscription.activated", event_id="evt_a", period_end=first)
    assert await deliver(nv_resources, activation) == ["applied"]
    row = await fresh(sub)
    # The older period never moves the end back.
    assert (row.status, row.period_end) == ("active", second)
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 800
    keys = {
        t["idempotency_key"]
        for t in await LedgerTransaction.select(LedgerTransaction.idempotency_key).where(
            LedgerTransaction.kind == "subscription"
        )
    }
    assert keys == {period_key(sub, first), period_key(sub, second)}
    assert (await check()).ok


async def test_failed_payment_gives_a_grace_period_then_lapses(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    now = int(time.time())
    sub = await subscribed(nv_resources, people["ann"], two_tiers["fan"], now + 100)
    failed = event_body(
        sub, "subscription.payment_failed", event_id="evt_f", period_end=now + 100 + MONTH
    )
    assert await deliver(nv_resources, failed) == ["applied"]
    row = await fresh(sub)
    assert row.status == "past_due"
    # Two days of grace from the failure (the setting), past the paid period's end.
    assert abs(row.grace_until - (now + 2 * 86400)) <= 5
    assert access.has_access(row, now=now + 86400)
    assert access.shown_status(row, now=now + 86400) == "past_due"
    assert not access.has_access(row, now=now + 2 * 86400 + 10)
    assert access.shown_status(row, now=now + 2 * 86400 + 10) == "lapsed"
    # A failure about a period already paid changes nothing.
    old = event_body(sub, "subscription.payment_failed", event_id="evt_f0", period_end=now + 100)
    assert await deliver(nv_resources, old) == ["applied"]
    # The provider's retry succeeds: active again, the new period paid.
    paid = event_body(sub, "subscription.renewed", event_id="evt_r", period_end=now + 100 + MONTH)
    assert await deliver(nv_resources, paid) == ["applied"]
    row = await fresh(sub)
    assert (row.status, row.period_end) == ("active", now + 100 + MONTH)
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 800


async def test_lapse_without_renewal_and_the_renewal_leeway(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    now = int(time.time())
    sub = await subscribed(nv_resources, people["ann"], two_tiers["fan"], now + 100)
    # One hour of leeway (the setting) after the paid period for the renewal to arrive.
    assert access.has_access(sub, now=now + 100 + 3000)
    assert not access.has_access(sub, now=now + 100 + 3601)
    assert await access.live_level(people["ann"].id, people["cara"].id, now + 100 + 3601) == 0


async def test_cancel_runs_to_the_period_end(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    now = int(time.time())
    sub = await subscribed(nv_resources, people["ann"], two_tiers["fan"], now + 1000)
    await login(nv_client, "ann")
    done = await form(nv_client, f"/subscriptions/{sub.id}/cancel", {})
    assert done.status_code == 303
    row = await fresh(sub)
    assert row.status == "cancelled"
    assert row.access_until == now + 1000  # no leeway: nothing renews
    assert access.has_access(row, now=now + 999)
    assert not access.has_access(row, now=now + 1001)
    mine = await nv_client.get("/subscriptions/mine", headers={"accept": "text/html"})
    assert "cancelled: runs to the end of the period" in mine.text
    # Cancelling again: a clear refusal, nothing changes.
    again = await form(nv_client, f"/subscriptions/{sub.id}/cancel", {})
    assert again.status_code == 409
    assert "cancelled already" in again.text
    # The provider's confirmation and a late renewal do not revive it.
    confirm = event_body(sub, "subscription.cancelled", event_id="evt_c", period_end=now + 1000)
    assert await deliver(nv_resources, confirm) == ["applied"]
    assert (await fresh(sub)).status == "cancelled"
    # Someone else cannot cancel it.
    with pytest.raises(SubscriptionError, match="no such subscription"):
        await services.cancel(nv_resources, people["bob"], sub.id)


async def test_trial_then_end(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    now = int(time.time())
    sub = await started(nv_resources, people["ann"], two_tiers["patron"])
    trial = event_body(
        sub, "subscription.trial_started", event_id="evt_t", period_end=now + 500, amount=0
    )
    assert await deliver(nv_resources, trial) == ["applied"]
    row = await fresh(sub)
    assert (row.status, row.access_until) == ("trialing", now + 500)
    assert await access.live_level(people["ann"].id, people["cara"].id) == 2
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 0
    ended = event_body(sub, "subscription.ended", event_id="evt_e")
    assert await deliver(nv_resources, ended) == ["applied"]
    row = await fresh(sub)
    assert (row.status, row.access_until) == ("ended", 0)
    # A late renewal still books the money the provider took, but access stays ended.
    late = event_body(sub, "subscription.renewed", event_id="evt_late", period_end=now + MONTH)
    assert await deliver(nv_resources, late) == ["applied"]
    assert (await fresh(sub)).status == "ended"
    assert await access.live_level(people["ann"].id, people["cara"].id) == 0


async def test_bad_events_are_refused_and_nothing_changes(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    sub = await started(nv_resources, people["ann"], two_tiers["fan"])
    end = int(time.time()) + MONTH
    body = event_body(sub, "subscription.activated", event_id="evt_x", period_end=end)
    forged = f"t={int(time.time())},v1={'0' * 64}"
    with pytest.raises(WebhookError, match="signature does not match") as caught:
        await events.receive(nv_resources, "test", body, {"x-nichevid-signature": forged})
    assert caught.value.status == 400
    for raw in (b"not json", b"[1, 2]"):
        with pytest.raises(WebhookError, match="JSON"):
            await deliver(nv_resources, raw)
    assert await PaymentEvent.count() == 0
    # Paid less than the tier costs: refused, kept for the operator, no money moved.
    cheap = event_body(
        sub, "subscription.activated", event_id="evt_cheap", period_end=end, amount=1
    )
    assert await deliver(nv_resources, cheap) == ["refused"]
    # A paid event without a period cannot be booked.
    no_period = event_body(sub, "subscription.renewed", event_id="evt_np")
    assert await deliver(nv_resources, no_period) == ["refused"]
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 0
    assert (await fresh(sub)).status == "pending"
    refused = await PaymentEvent.objects().where(PaymentEvent.event_id == "evt_cheap").first()
    assert refused is not None
    assert "costs 499 EUR" in refused.note


async def test_a_crash_before_applying_is_completed_once_by_reconciliation(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    sub = await started(nv_resources, people["ann"], two_tiers["fan"])
    end = int(time.time()) + MONTH
    # The event was stored, then the process stopped before applying it.
    await PaymentEvent(
        provider="test",
        event_id="evt_crash",
        type="subscription.activated",
        checkout_token=sub.checkout_token,
        amount=499,
        currency="EUR",
        status="received",
        period_start=end - MONTH,
        period_end=end,
    ).save()
    assert await events.reconcile(nv_resources, older_than=0) == 1
    assert await events.reconcile(nv_resources, older_than=0) == 0
    # The provider's retry of the same event is a duplicate.
    body = event_body(sub, "subscription.activated", event_id="evt_crash", period_end=end)
    assert await deliver(nv_resources, body) == ["duplicate"]
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 400
    assert (await fresh(sub)).status == "active"
    checkout = await Checkout.objects().where(Checkout.token == sub.checkout_token).first()
    assert checkout is not None
    assert checkout.status == "paid"


async def test_subscribing_refusals(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    fan = two_tiers["fan"]
    with pytest.raises(SubscriptionError, match="cannot subscribe to yourself"):
        await services.subscribe(nv_resources, people["cara"], fan.id, "test")
    with pytest.raises(SubscriptionError, match="Choose one of the payment methods"):
        await services.subscribe(nv_resources, people["ann"], fan.id, "nope")
    await subscribed(nv_resources, people["ann"], fan)
    with pytest.raises(SubscriptionError, match="already subscribe") as caught:
        await services.subscribe(nv_resources, people["ann"], two_tiers["patron"].id, "test")
    assert caught.value.status == 409
    await login(nv_client, "bob")
    await form(nv_client, f"/subscriptions/tiers/{fan.id}/retire", {})  # not his: no effect
    from nichevid_subscriptions.tiers import retire_tier

    await retire_tier(people["cara"], fan.id)
    gone = await form(nv_client, f"/subscriptions/subscribe/{fan.id}", {"provider": "test"})
    assert gone.status_code == 404
    assert "not offered any more" in gone.text
    # The running subscription of the retired tier goes on.
    assert await access.live_level(people["ann"].id, people["cara"].id) == 1


async def test_creator_sees_subscribers(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    await subscribed(nv_resources, people["ann"], two_tiers["patron"])
    await started(nv_resources, people["bob"], two_tiers["fan"])  # never paid: not listed
    await login(nv_client, "cara")
    page = await nv_client.get("/subscriptions/subscribers", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "@ann" in page.text
    assert "Patron" in page.text
    assert "@bob" not in page.text
    tiers_page = await nv_client.get("/subscriptions/tiers", headers={"accept": "text/html"})
    assert "1 subscriber now" in tiers_page.text


async def test_events_applied_at_once_all_count(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    import asyncio

    sub = await started(nv_resources, people["ann"], two_tiers["fan"])
    base = int(time.time()) + MONTH
    ends = [base + i * MONTH for i in range(5)]
    bodies = [
        event_body(sub, "subscription.renewed", event_id=f"evt_{i}", period_end=end)
        for i, end in enumerate(ends)
    ]
    # Each twice, all at once: five periods paid, once each; the latest end wins.
    outcomes = await asyncio.gather(*(deliver(nv_resources, b) for b in bodies + bodies))
    assert sorted(o for [o] in outcomes).count("applied") >= 5
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 5 * 400
    row = await fresh(sub)
    assert (row.status, row.period_end) == ("active", max(ends))
    assert (await check()).ok
