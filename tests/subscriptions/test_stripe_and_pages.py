"""Stripe in subscription mode, and the creator's choice of a video's minimum tier."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import stripe

from nichevid.payments import accounts as acc
from nichevid.payments import events
from nichevid.payments.ledger import balance
from nichevid.testing.factories import ready_video
from nichevid_subscriptions import access, services
from nichevid_subscriptions.errors import SubscriptionError
from tests.payments.test_stripe import signed, stripe_event

from .conftest import MONTH, form, fresh, login, with_stripe


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    return with_stripe(nv_settings_factory)


def invoice(
    token: str,
    kind: str,
    end: int,
    amount: int = 499,
    reason: str = "",
    payment: str = "",
    event_id: str = "",
) -> bytes:
    """A signed-body Stripe invoice event for the period ending at ``end``, paid by the
    payment intent ``payment`` when given."""
    obj: dict[str, Any] = {
        "id": f"in_{end}",
        "object": "invoice",
        "billing_reason": reason or "subscription_cycle",
        "amount_paid": amount,
        "amount_due": amount,
        "currency": "eur",
        "subscription": "sub_123",
        "subscription_details": {"metadata": {"checkout": token}},
        "lines": {"data": [{"period": {"start": end - MONTH, "end": end}}]},
    }
    if payment:
        obj["payment_intent"] = payment
    return stripe_event(event_id or f"evt_{kind}_{end}", kind, obj)


async def test_stripe_subscription_checkout_and_events(
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []

    def create(**params: Any) -> Any:
        calls.append(params)
        return SimpleNamespace(id="cs_sub_1", url="https://checkout.stripe.com/c/pay/cs_sub_1")

    modified: list[tuple[str, dict[str, Any]]] = []

    def modify(ref: str, **params: Any) -> Any:
        modified.append((ref, params))
        return SimpleNamespace(id=ref)

    monkeypatch.setattr(stripe.checkout.Session, "create", create)
    monkeypatch.setattr(stripe.Subscription, "modify", modify)
    sub, url = await services.subscribe(nv_resources, people["ann"], two_tiers["fan"].id, "stripe")
    assert url == "https://checkout.stripe.com/c/pay/cs_sub_1"
    [params] = calls
    assert params["mode"] == "subscription"
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["subscription_data"] == {"metadata": {"checkout": sub.checkout_token}}
    assert "payment_intent_data" not in params

    async def send(body: bytes) -> list[str]:
        return await events.receive(nv_resources, "stripe", body, signed(body))

    now = int(time.time())
    # The session's completion carries no money of its own: the invoices do.
    done = stripe_event(
        "evt_cs",
        "checkout.session.completed",
        {
            "id": "cs_sub_1",
            "mode": "subscription",
            "payment_status": "paid",
            "client_reference_id": sub.checkout_token,
            "amount_total": 499,
            "currency": "eur",
        },
    )
    assert await send(done) == ["ignored"]
    # The renewal first, then the first invoice: both periods paid, once each.
    second = invoice(sub.checkout_token, "invoice.paid", now + 2 * MONTH)
    first = invoice(sub.checkout_token, "invoice.paid", now + MONTH, reason="subscription_create")
    assert await send(second) == ["applied"]
    assert await send(first) == ["applied"]
    assert await send(first) == ["duplicate"]
    assert await balance(acc.earnings(people["cara"].id, "EUR")) == 800
    row = await fresh(sub)
    assert (row.status, row.period_end, row.provider_ref) == ("active", now + 2 * MONTH, "sub_123")
    failed = invoice(sub.checkout_token, "invoice.payment_failed", now + 3 * MONTH)
    assert await send(failed) == ["applied"]
    assert (await fresh(sub)).status == "past_due"
    # The member cancels: Stripe is told to stop at the period's end.
    await services.cancel(nv_resources, people["ann"], sub.id)
    assert modified == [("sub_123", {"api_key": "sk_test_123", "cancel_at_period_end": True})]
    deleted = stripe_event(
        "evt_del",
        "customer.subscription.deleted",
        {"id": "sub_123", "metadata": {"checkout": sub.checkout_token}, "status": "canceled"},
    )
    assert await send(deleted) == ["applied"]
    assert (await fresh(sub)).status == "ended"


async def test_stripe_errors_leave_the_subscription_running(
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def create(**params: Any) -> Any:
        return SimpleNamespace(id="cs_sub_2", url="https://checkout.stripe.com/c/pay/cs_sub_2")

    def modify(ref: str, **params: Any) -> Any:
        raise stripe.APIConnectionError("network down")

    monkeypatch.setattr(stripe.checkout.Session, "create", create)
    monkeypatch.setattr(stripe.Subscription, "modify", modify)
    sub, _ = await services.subscribe(nv_resources, people["ann"], two_tiers["fan"].id, "stripe")
    end = int(time.time()) + MONTH
    body = invoice(sub.checkout_token, "invoice.paid", end, reason="subscription_create")
    assert await events.receive(nv_resources, "stripe", body, signed(body)) == ["applied"]
    with pytest.raises(SubscriptionError, match="could not be reached") as caught:
        await services.cancel(nv_resources, people["ann"], sub.id)
    assert caught.value.status == 502
    assert (await fresh(sub)).status == "active"


async def test_creator_picks_the_minimum_tier_of_a_video(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    video = await ready_video(people["cara"], caption="locked", visibility="subscribers")
    other = await ready_video(people["ann"], caption="not hers", visibility="subscribers")
    await login(nv_client, "cara")
    page = await nv_client.get("/subscriptions/tiers", headers={"accept": "text/html"})
    assert f'action="/subscriptions/videos/{video.slug}"' in page.text
    patron = two_tiers["patron"]
    done = await form(nv_client, f"/subscriptions/videos/{video.slug}", {"tier": str(patron.id)})
    assert done.status_code == 303
    assert await access.required_level(video.id) == 2
    for bad in ("nope", "999999"):
        refused = await form(nv_client, f"/subscriptions/videos/{video.slug}", {"tier": bad})
        assert refused.status_code == 400
        assert "Choose one of your tiers on offer" in refused.text
    assert await access.required_level(video.id) == 2
    everyone = await form(nv_client, f"/subscriptions/videos/{video.slug}", {"tier": ""})
    assert everyone.status_code == 303
    assert await access.required_level(video.id) == 1
    theirs = await form(nv_client, f"/subscriptions/videos/{other.slug}", {"tier": ""})
    assert theirs.status_code == 404


async def test_a_new_subscribers_video_offers_its_minimum_tier(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    locked = await ready_video(people["cara"], caption="locked", visibility="subscribers")
    open_video = await ready_video(people["cara"], caption="open")
    await login(nv_client, "cara")
    htmx = {"HX-Request": "true"}
    status = await nv_client.get(f"/upload/status/{locked.slug}", headers=htmx)
    assert status.status_code == 200
    assert "Change its minimum tier" in status.text
    assert f'href="/upload/edit/{locked.slug}"' in status.text
    other = await nv_client.get(f"/upload/status/{open_video.slug}", headers=htmx)
    assert "Change its minimum tier" not in other.text
