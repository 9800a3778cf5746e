"""Providers and webhooks: checkout, exactly-once crediting, bad requests, order, recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments import checkout, events
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.providers import (
    provider,
)
from nichevid.payments.tables import Checkout, LedgerTransaction, PaymentEvent
from nichevid.payments.test_provider import SIGNATURE_HEADER, TestProvider
from tests.accounts.conftest import login, post_form


def test_provider_of(resources: Any) -> TestProvider:
    found = provider(resources, "test")
    assert isinstance(found, TestProvider)
    return found


test_provider_of.__test__ = False  # type: ignore[attr-defined]


async def start_checkout(resources: Any, user: Any, amount: int = 500) -> Checkout:
    row, url = await checkout.start(
        resources, user_id=user.id, provider_name="test", amount=amount, currency="EUR"
    )
    assert url == f"/payments/test/{row.token}"
    return row


def signed(resources: Any, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {SIGNATURE_HEADER: test_provider_of(resources).sign(body)}


def paid_event(row: Checkout, event_id: str = "evt_1", type_: str = "payment.succeeded") -> Any:
    return {
        "id": event_id,
        "type": type_,
        "checkout": row.token,
        "amount": row.amount,
        "currency": row.currency,
    }


async def test_member_tops_up_through_the_test_checkout(nv_client: Any, make_user: Any) -> None:
    ada = await make_user("ada")
    await login(nv_client, "ada")
    page = await nv_client.get("/wallet", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Test payments: no money moves" in page.text
    started = await post_form(
        nv_client, "/wallet/top-up", {"amount": "12.50", "currency": "EUR", "provider": "test"}
    )
    assert started.status_code == 303
    url = started.headers["location"]
    assert url.startswith("/payments/test/")
    confirm_page = await nv_client.get(url, headers={"accept": "text/html"})
    assert "Test payments: no money moves" in confirm_page.text
    assert "12.50 EUR" in confirm_page.text
    done = await post_form(nv_client, f"{url}/confirm", {})
    assert done.status_code == 303
    assert await balance(acc.wallet(ada.id, "EUR")) == 1250
    assert await balance(acc.clearing("test", "EUR")) == -1250
    wallet = await nv_client.get("/wallet", headers={"accept": "text/html"})
    assert "12.50 EUR" in wallet.text
    # The page is closed now: confirming again credits nothing more.
    await post_form(nv_client, f"{url}/confirm", {})
    assert await balance(acc.wallet(ada.id, "EUR")) == 1250
    assert (await check()).ok


async def test_cancel_and_other_members_checkouts(nv_client: Any, make_user: Any) -> None:
    ada = await make_user("ada")
    await make_user("bob")
    row = await start_checkout(nv_client.app.state.resources, ada)
    await login(nv_client, "bob")
    assert (await nv_client.get(f"/payments/test/{row.token}")).status_code == 404
    assert (
        await post_form(nv_client, f"/payments/test/{row.token}/confirm", {})
    ).status_code == 404
    nv_client.cookies.clear()
    await login(nv_client, "ada")
    cancelled = await post_form(nv_client, f"/payments/test/{row.token}/cancel", {})
    assert cancelled.status_code == 303
    assert (await checkout.get(row.token)).status == "cancelled"  # type: ignore[union-attr]
    assert await balance(acc.wallet(ada.id, "EUR")) == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"amount": "-5", "currency": "EUR"}, "The amount must be more than zero."),
        ({"amount": "0", "currency": "EUR"}, "The amount must be more than zero."),
        ({"amount": "1.005", "currency": "EUR"}, "EUR has 2 decimals"),
        ({"amount": "ten", "currency": "EUR"}, "is not an amount"),
        ({"amount": "NaN", "currency": "EUR"}, "is not an amount"),
        ({"amount": "5", "currency": "GBP"}, "Choose one of the currencies offered"),
        ({"amount": "5000", "currency": "EUR"}, "One payment is at most 1000.00 EUR."),
        (
            {"amount": "5", "currency": "EUR", "provider": "paypal"},
            "Choose one of the payment methods offered.",
        ),
    ],
)
async def test_bad_top_ups_say_what_to_fix(
    nv_client: Any, make_user: Any, form: dict[str, str], message: str
) -> None:
    await make_user("ada")
    await login(nv_client, "ada")
    response = await post_form(nv_client, "/wallet/top-up", {"provider": "test", **form})
    assert response.status_code == 400
    assert message in response.text
    assert await Checkout.count() == 0


async def test_same_event_three_times_is_credited_once(nv_client: Any, make_user: Any) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    row = await start_checkout(resources, ada)
    body, headers = signed(resources, paid_event(row))
    answers = [
        await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["events"] for a in answers] == [["applied"], ["duplicate"], ["duplicate"]]
    assert await balance(acc.wallet(ada.id, "EUR")) == 500
    assert await PaymentEvent.count() == 1
    # Another event id for the same payment (a provider retrying differently): still once.
    body, headers = signed(resources, paid_event(row, "evt_other"))
    again = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert again.json()["events"] == ["applied"]
    assert await balance(acc.wallet(ada.id, "EUR")) == 500
    assert await LedgerTransaction.count() == 1
    assert (await checkout.get(row.token)).status == "paid"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("tamper", "status", "message"),
    [
        ("signature", 400, "signature does not match"),
        ("missing", 400, "header is missing"),
        ("old", 400, "too old"),
        ("not_json", 400, "not JSON"),
        ("not_object", 400, "not a JSON object"),
        ("no_amount", 400, "lacks a valid amount"),
        ("fractional", 400, "lacks a valid amount"),
        ("provider", 404, "no payment provider 'stripe'"),
    ],
)
async def test_bad_webhooks_change_nothing(
    nv_client: Any, make_user: Any, tamper: str, status: int, message: str
) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    row = await start_checkout(resources, ada)
    event = paid_event(row)
    sign = test_provider_of(resources).sign
    body = json.dumps(event).encode()
    headers = {SIGNATURE_HEADER: sign(body)}
    url = "/payments/webhooks/test"
    if tamper == "signature":
        body = json.dumps({**event, "amount": 999999}).encode()
    elif tamper == "missing":
        headers = {}
    elif tamper == "old":
        headers = {SIGNATURE_HEADER: sign(body, at=1_000_000_000)}
    elif tamper in ("not_json", "not_object", "no_amount", "fractional"):
        body = {
            "not_json": b"amount=500&checkout=x",
            "not_object": b"[1, 2]",
            "no_amount": json.dumps({k: v for k, v in event.items() if k != "amount"}).encode(),
            "fractional": json.dumps({**event, "amount": 4.99}).encode(),
        }[tamper]
        headers = {SIGNATURE_HEADER: sign(body)}
    elif tamper == "provider":
        url = "/payments/webhooks/stripe"
    answer = await nv_client.post(url, content=body, headers=headers)
    assert answer.status_code == status
    assert message in answer.json()["error"]
    assert await PaymentEvent.count() == 0
    assert await LedgerTransaction.count() == 0


async def test_wrong_amount_or_unknown_checkout_is_ignored(nv_client: Any, make_user: Any) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    row = await start_checkout(resources, ada)
    cheap = {**paid_event(row), "amount": 1}
    body, headers = signed(resources, cheap)
    answer = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert answer.json()["events"] == ["ignored"]
    stranger = {**paid_event(row, "evt_2"), "checkout": "not-ours"}
    body, headers = signed(resources, stranger)
    answer = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert answer.json()["events"] == ["ignored"]
    other = {**paid_event(row, "evt_3"), "type": "customer.created"}
    body, headers = signed(resources, other)
    answer = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert answer.json()["events"] == ["ignored"]
    assert await balance(acc.wallet(ada.id, "EUR")) == 0


async def test_refund_before_its_payment_is_applied_after_it(
    nv_client: Any, make_user: Any
) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    row = await start_checkout(resources, ada)
    body, headers = signed(resources, paid_event(row, "evt_refund", "payment.refunded"))
    first = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert first.json()["events"] == ["waiting"]
    body, headers = signed(resources, paid_event(row, "evt_paid"))
    second = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert second.json()["events"] == ["applied"]
    assert await balance(acc.wallet(ada.id, "EUR")) == 0
    assert await LedgerTransaction.count() == 2
    statuses = {e.event_id: e.status for e in await PaymentEvent.objects()}
    assert statuses == {"evt_refund": "applied", "evt_paid": "applied"}
    assert (await checkout.get(row.token)).status == "refunded"  # type: ignore[union-attr]
    assert (await check()).ok


async def test_chargeback_after_spending_is_refused_and_shown(
    nv_client: Any, make_user: Any
) -> None:
    from nichevid.payments import moves

    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    bob = await make_user("bob", role="admin")
    row = await start_checkout(resources, ada)
    body, headers = signed(resources, paid_event(row))
    await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    await moves.spend(
        resources.settings, payer=ada.id, payee=bob.id, amount=500, unit="EUR", idempotency_key="g"
    )
    body, headers = signed(resources, paid_event(row, "evt_cb", "payment.charged_back"))
    answer = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert answer.json()["events"] == ["refused"]
    assert await balance(acc.wallet(ada.id, "EUR")) == 0
    await login(nv_client, "bob")
    page = await nv_client.get("/admin/ledger", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'data-ledger="ok"' in page.text
    assert "evt_cb" in page.text
    assert "wallet:" in page.text


async def test_crash_between_storing_and_crediting_is_completed_once(
    nv_client: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    row = await start_checkout(resources, ada)
    body, headers = signed(resources, paid_event(row))

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("process stopped")

    # The event is stored, then the process dies before the ledger is credited.
    with monkeypatch.context() as patch:
        patch.setattr(events.moves, "top_up", crash)
        with pytest.raises(RuntimeError):
            await events.receive(resources, "test", body, headers)
    [stored] = await PaymentEvent.objects()
    assert stored.status == "received"
    assert await balance(acc.wallet(ada.id, "EUR")) == 0
    # Not yet due: the reconciliation job leaves fresh events to their own delivery.
    assert await events.reconcile(resources) == 0
    assert await events.reconcile(resources, older_than=0) == 1
    assert await events.reconcile(resources, older_than=0) == 0
    # The provider's retry arrives too: credited once in all.
    answer = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert answer.json()["events"] == ["duplicate"]
    assert await balance(acc.wallet(ada.id, "EUR")) == 500
    assert await LedgerTransaction.count() == 1


async def test_crash_then_redelivery_completes_it(
    nv_client: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    row = await start_checkout(resources, ada)
    body, headers = signed(resources, paid_event(row))
    with monkeypatch.context() as patch:
        patch.setattr(events, "_mark", _crash_after_posting)
        with pytest.raises(RuntimeError):
            await events.receive(resources, "test", body, headers)
    # The ledger was credited but the event not marked: the retry finishes the job.
    assert await balance(acc.wallet(ada.id, "EUR")) == 500
    answer = await nv_client.post("/payments/webhooks/test", content=body, headers=headers)
    assert answer.json()["events"] == ["applied"]
    assert await balance(acc.wallet(ada.id, "EUR")) == 500
    assert await LedgerTransaction.count() == 1


async def _crash_after_posting(*args: Any, **kwargs: Any) -> str:
    raise RuntimeError("process stopped after posting")


async def test_reconcile_job_runs_from_the_queue(
    nv_client: Any, make_user: Any, nv_run_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = nv_client.app.state.resources
    ada = await make_user("ada")
    row = await start_checkout(resources, ada)
    body, headers = signed(resources, paid_event(row))
    with monkeypatch.context() as patch:
        patch.setattr(events.moves, "top_up", _crash_after_posting)
        with pytest.raises(RuntimeError):
            await events.receive(resources, "test", body, headers)
    assert await balance(acc.wallet(ada.id, "EUR")) == 0
    # The event has waited past plugin.payments.reconcile_after_seconds.
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await PaymentEvent.update({PaymentEvent.received_at: an_hour_ago}).where(PaymentEvent.id > 0)
    assert await resources.jobs.enqueue(events.RECONCILE_JOB, job_id="reconcile-test")
    await nv_run_jobs()
    assert await balance(acc.wallet(ada.id, "EUR")) == 500
    [stored] = await PaymentEvent.objects()
    assert stored.status == "applied"
