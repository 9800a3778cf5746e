"""Export and erasure reach the subscriptions plugin: both sides of a subscription."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.providers import WebhookError
from nichevid.payments.test_provider import TestProvider
from nichevid.privacy import deletion, exports
from nichevid_subscriptions.tables import Subscription, Tier

from .conftest import PASSWORD, subscribed


async def _export(resources: Any, run_jobs: Any, user: Any) -> dict[str, Any]:
    assert await exports.request_export(resources, user)
    await run_jobs()
    keys = [obj.key async for obj in resources.storage.list(exports.export_prefix(user.id))]
    assert len(keys) == 1
    with zipfile.ZipFile(BytesIO(await resources.storage.read_bytes(keys[0]))) as archive:
        data: dict[str, Any] = json.loads(archive.read("plugins/subscriptions/subscriptions.json"))
    return data


async def test_export_lists_tiers_subscriptions_and_subscribers(
    nv_resources: Any, nv_run_jobs: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    await subscribed(nv_resources, people["ann"], two_tiers["patron"])
    mine = await _export(nv_resources, nv_run_jobs, people["ann"])
    [sub] = mine["subscriptions"]
    assert (sub["creator"], sub["tier"], sub["price"], sub["status"]) == (
        "cara",
        "Patron",
        900,
        "active",
    )
    assert mine["tiers"] == []
    theirs = await _export(nv_resources, nv_run_jobs, people["cara"])
    assert [t["name"] for t in theirs["tiers"]] == ["Fan", "Patron"]
    assert [s["member"] for s in theirs["subscribers"]] == ["ann"]


async def test_erasure_stops_and_deletes_both_sides(
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await subscribed(nv_resources, people["ann"], two_tiers["patron"])
    await subscribed(nv_resources, people["bob"], two_tiers["fan"])
    stopped: list[str] = []

    async def cancel(self: TestProvider, provider_ref: str) -> None:
        stopped.append(provider_ref)

    monkeypatch.setattr(TestProvider, "cancel_subscription", cancel)
    state = await deletion.request_deletion(nv_resources, people["cara"], PASSWORD)
    assert await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1)) == (
        1,
        0,
    )
    # Both running subscriptions were stopped at the provider before the rows went.
    assert len(stopped) == 2
    assert await Subscription.count() == 0
    assert await Tier.count() == 0
    # The books keep the paid periods (and still balance).
    assert await balance(acc.platform("EUR")) == 180 + 99
    assert (await check()).ok


async def test_erasure_waits_while_the_provider_cannot_stop_a_subscription(
    nv_resources: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await subscribed(nv_resources, people["ann"], two_tiers["fan"])

    async def down(self: TestProvider, provider_ref: str) -> None:
        raise WebhookError("unreachable", 502)

    monkeypatch.setattr(TestProvider, "cancel_subscription", down)
    state = await deletion.request_deletion(nv_resources, people["ann"], PASSWORD)
    done, failed = await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1))
    assert (done, failed) == (0, 1)
    # Nothing was deleted: the next run tries again.
    assert await Subscription.count() == 1
