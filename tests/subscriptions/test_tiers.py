"""A creator's tiers: create, change, retire; every bad field refused with a clear message."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid_subscriptions import tiers
from nichevid_subscriptions.errors import SubscriptionError
from nichevid_subscriptions.tables import Tier

from .conftest import form, login


async def test_creator_defines_changes_and_retires_tiers(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    assert (fan.level, fan.price, fan.currency, fan.badge) == (1, 499, "EUR", "Fan")
    assert (patron.level, patron.price) == (2, 900)
    changed = await tiers.update_tier(
        nv_resources.settings,
        people["cara"],
        fan.id,
        tiers.TierInput("Fan club", "5.50", "USD", "More extras", "", "3"),
    )
    # An empty badge takes the name; the level moves to a free one.
    assert (changed.name, changed.price, changed.currency, changed.badge, changed.level) == (
        "Fan club",
        550,
        "USD",
        "Fan club",
        3,
    )
    await tiers.retire_tier(people["cara"], patron.id)
    assert [t.name for t in await tiers.tiers_of(people["cara"].id)] == ["Fan club"]
    everything = await tiers.tiers_of(people["cara"].id, with_retired=True)
    assert [t.retired for t in everything] == [False, True]
    with pytest.raises(SubscriptionError, match="retired tier cannot be changed"):
        await tiers.update_tier(
            nv_resources.settings, people["cara"], patron.id, tiers.TierInput("X", "1", "EUR")
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("", "4.99", "EUR"), "Give the tier a name"),
        (("   ", "4.99", "EUR"), "Give the tier a name"),
        (("N" * 61, "4.99", "EUR"), "Give the tier a name"),
        (("Fan", "-5", "EUR"), "more than zero"),
        (("Fan", "0", "EUR"), "more than zero"),
        (("Fan", "4.999", "EUR"), "EUR has 2 decimals"),
        (("Fan", "five", "EUR"), "is not an amount"),
        (("Fan", "NaN", "EUR"), "is not an amount"),
        (("Fan", "1e30", "EUR"), "A monthly price is at most"),
        (("Fan", "4.99", "XYZ"), "'XYZ' is not taken here; choose one of EUR, USD"),
        (("Fan", "4.99", "coins"), "is not taken here"),
        (("Fan", "4.99", "EUR", "", "B" * 25), "badge of at most 24"),
        (("Fan", "4.99", "EUR", "p" * 1001), "perks in at most 1000"),
        (("Fan", "4.99", "EUR", "", "", "0"), "whole number from 1 to 5"),
        (("Fan", "4.99", "EUR", "", "", "two"), "whole number from 1 to 5"),
        (("Fan", "4.99", "EUR", "", "", "6"), "whole number from 1 to 5"),
    ],
)
async def test_bad_tier_input_is_refused_and_nothing_stored(
    nv_resources: Any, people: dict[str, Any], fields: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SubscriptionError, match=message) as caught:
        await tiers.create_tier(nv_resources.settings, people["cara"], tiers.TierInput(*fields))
    assert caught.value.status == 400
    assert await Tier.count() == 0


async def test_levels_members_and_the_tier_limit(
    nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    settings = nv_resources.settings
    with pytest.raises(SubscriptionError, match="Another of your tiers has level 2"):
        await tiers.create_tier(
            settings, people["cara"], tiers.TierInput("Dup", "1", "EUR", "", "", "2")
        )
    with pytest.raises(SubscriptionError, match="Only creators offer subscriptions") as caught:
        await tiers.create_tier(settings, people["ann"], tiers.TierInput("Fan", "1", "EUR"))
    assert caught.value.status == 403
    for name in ("C", "D", "E"):
        await tiers.create_tier(settings, people["cara"], tiers.TierInput(name, "1", "EUR"))
    with pytest.raises(SubscriptionError, match="You offer 5 tiers already") as caught:
        await tiers.create_tier(settings, people["cara"], tiers.TierInput("F", "1", "EUR"))
    assert caught.value.status == 409
    # Another creator's tier is not found, whatever its id.
    with pytest.raises(SubscriptionError, match="no such tier"):
        await tiers.retire_tier(people["ann"], two_tiers["fan"].id)


async def test_tiers_page_creates_and_shows_errors(nv_client: Any, people: dict[str, Any]) -> None:
    await login(nv_client, "cara")
    page = await nv_client.get("/subscriptions/tiers", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "You offer no tiers yet." in page.text
    bad = await form(
        nv_client, "/subscriptions/tiers", {"name": "Fan", "price": "-1", "currency": "EUR"}
    )
    assert bad.status_code == 400
    assert "The amount must be more than zero." in bad.text
    assert 'value="Fan"' in bad.text  # what was typed stays in the form
    made = await form(
        nv_client,
        "/subscriptions/tiers",
        {"name": "Fan", "price": "4.99", "currency": "EUR", "badge": "Fan ⭐", "perks": "Extras"},
    )
    assert made.status_code == 303
    page = await nv_client.get("/subscriptions/tiers", headers={"accept": "text/html"})
    assert "4.99 EUR" in page.text
    assert "Fan ⭐" in page.text
    tier = await Tier.objects().first()
    assert tier is not None
    retired = await form(nv_client, f"/subscriptions/tiers/{tier.id}/retire", {})
    assert retired.status_code == 303
    assert (await Tier.objects().first()).retired  # type: ignore[union-attr]


async def test_members_cannot_open_the_tiers_page(nv_client: Any, people: dict[str, Any]) -> None:
    await login(nv_client, "ann")
    page = await nv_client.get("/subscriptions/tiers", headers={"accept": "text/html"})
    assert page.status_code == 403
