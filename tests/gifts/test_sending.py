"""Sending gifts through the service: the ledger moves, the record, every refusal."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nichevid.payments import accounts as acc
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.safety import blocks
from nichevid.testing.factories import ready_video
from nichevid_gifts import catalogue, sending
from nichevid_gifts.errors import GiftError
from nichevid_gifts.tables import Gift


def target(video: Any) -> sending.Target:
    return sending.Target(video_slug=video.slug)


async def test_a_gift_pays_the_creator_less_the_platform_cut(
    nv_resources: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    ann, cara = people["ann"], people["cara"]
    await fund(ann.id, 100)
    sent = await sending.send(
        nv_resources,
        sender=ann,
        send_id="send-0001",
        item_key="star",
        count=1,
        target=target(video),
    )
    assert not sent.replayed
    assert (sent.gift.total, sent.gift.kind, sent.gift.video) == (50, "gift", video.id)
    assert await balance(acc.wallet(ann.id, "coins")) == 50
    assert await balance(acc.earnings(cara.id, "coins")) == 40
    assert await balance(acc.platform("coins")) == 10
    assert (await check()).ok


async def test_a_retried_send_posts_once_and_a_changed_one_is_refused(
    nv_resources: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    ann = people["ann"]
    await fund(ann.id, 100)
    args = {"sender": ann, "send_id": "send-0002", "target": target(video)}
    first = await sending.send(nv_resources, item_key="heart", count=2, **args)
    again = await sending.send(nv_resources, item_key="heart", count=2, **args)
    assert again.replayed
    assert again.gift.id == first.gift.id
    assert await Gift.count() == 1
    assert await balance(acc.wallet(ann.id, "coins")) == 90
    with pytest.raises(GiftError) as caught:
        await sending.send(nv_resources, item_key="heart", count=3, **args)
    assert caught.value.status == 409
    assert "already used" in caught.value.message
    assert await balance(acc.wallet(ann.id, "coins")) == 90


async def test_refusals_say_what_to_do_and_move_nothing(
    nv_resources: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    ann, cara, bob = people["ann"], people["cara"], people["bob"]
    await fund(ann.id, 10)
    removed = await ready_video(cara, status="removed")
    processing = await ready_video(cara, status="processing")
    private = await ready_video(cara, visibility="private")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"item_key": "crown"}, 409, "too few coins"),
        ({"item_key": "no-such-gift"}, 404, "no such gift"),
        ({"target": sending.Target(video_slug=removed.slug)}, 404, "gone"),
        ({"target": sending.Target(video_slug="nope")}, 404, "gone"),
        ({"target": sending.Target(video_slug=processing.slug)}, 409, "not ready"),
        ({"target": sending.Target(video_slug=private.slug)}, 403, "cannot watch"),
        ({"target": sending.Target(username="ann")}, 400, "yourself"),
        ({"target": sending.Target(username="ghost")}, 404, "no member"),
        ({"send_id": "short"}, 400, "valid id"),
        ({"count": 0}, 400, "1 to"),
        ({"count": 1000}, 400, "1 to"),
    ]
    for n, (change, status, words) in enumerate(cases):
        args = {
            "sender": ann,
            "send_id": f"refused-{n:04d}",
            "item_key": "rose",
            "count": 1,
            "target": target(video),
            **change,
        }
        with pytest.raises(GiftError) as caught:
            await sending.send(nv_resources, **args)
        assert caught.value.status == status, (change, caught.value.message)
        assert words in caught.value.message, (change, caught.value.message)
    assert caught.value.buy is False
    await blocks.block(cara, bob)
    await fund(bob.id, 10)
    with pytest.raises(GiftError, match="cannot send gifts to this account") as blocked:
        await sending.send(
            nv_resources,
            sender=bob,
            send_id="blocked-01",
            item_key="rose",
            count=1,
            target=target(video),
        )
    assert blocked.value.status == 403
    assert await Gift.count() == 0
    assert await balance(acc.wallet(ann.id, "coins")) == 10
    assert (await check()).ok


def test_counts_must_be_whole_and_positive() -> None:
    for text, words in [
        ("-1", "at least one"),
        ("0", "at least one"),
        ("1.5", "whole number"),
        ("two", "whole number"),
        ("1e3", "whole number"),
        ("100", "at most"),
    ]:
        with pytest.raises(GiftError, match=words):
            sending.parse_count(text, 99)
    assert sending.parse_count("3", 99) == 3
    assert sending.parse_count("", 99) == 1


async def test_too_few_coins_offers_to_buy(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    with pytest.raises(GiftError) as caught:
        await sending.send(
            nv_resources,
            sender=people["ann"],
            send_id="poor-0001",
            item_key="rose",
            count=1,
            target=target(video),
        )
    assert caught.value.buy
    assert caught.value.status == 409


async def test_retired_gifts_cannot_be_sent(
    nv_resources: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    await fund(people["ann"].id, 10)
    await catalogue.retire("rose")
    with pytest.raises(GiftError, match="no such gift"):
        await sending.send(
            nv_resources,
            sender=people["ann"],
            send_id="retired-01",
            item_key="rose",
            count=1,
            target=target(video),
        )


async def test_200_concurrent_sends_from_a_wallet_that_affords_50(
    nv_resources: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    ann, cara = people["ann"], people["cara"]
    await fund(ann.id, 50 * 5)

    async def one(n: int) -> str:
        try:
            await sending.send(
                nv_resources,
                sender=ann,
                send_id=f"burst-{n:05d}",
                item_key="heart",
                count=1,
                target=target(video),
            )
        except GiftError as exc:
            return "poor" if exc.buy else exc.message
        return "sent"

    outcomes = await asyncio.gather(*(asyncio.create_task(one(n)) for n in range(200)))
    # Only a wallet that ran dry may refuse a send here.
    assert sorted(set(outcomes)) == ["poor", "sent"]
    assert outcomes.count("sent") == 50
    assert await balance(acc.wallet(ann.id, "coins")) == 0
    assert await balance(acc.earnings(cara.id, "coins")) == 50 * 4
    assert await Gift.count() == 50
    report = await check()
    assert report.ok, report
