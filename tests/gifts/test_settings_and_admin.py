"""Bad gift settings stop start-up; the operator edits the catalogue and marks nonprofits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.settings import ConfigError
from nichevid_gifts import catalogue, nonprofits
from nichevid_gifts.tables import GiftItem
from tests.accounts.conftest import login
from tests.moderation.conftest import form


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"coin_packs": [{"name": "x", "coins": 0, "price": 99}]}, "coins"),
        ({"coin_packs": [{"name": "x", "coins": 10, "price": -1}]}, "price"),
        ({"coin_packs": [{"name": "x", "coins": 10, "price": 1.5}]}, "price"),
        ({"coin_packs": [{"name": "x", "coins": 10, "price": 99, "currency": "XYZ"}]}, "ISO 4217"),
        ({"coin_packs": [{"name": "Big Pack", "coins": 10, "price": 99}]}, "lower-case"),
        (
            {
                "coin_packs": [
                    {"name": "a", "coins": 1, "price": 1},
                    {"name": "a", "coins": 2, "price": 2},
                ]
            },
            "twice",
        ),
        ({"receipt_prefix": "don-"}, "receipt_prefix"),
        ({"max_count": 0}, "max_count"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_gift_settings_stop_start_up(
    nv_settings_factory: Callable[..., Any],
    section: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "gifts")
    with pytest.raises(ConfigError, match=message) as caught:
        create_app(nv_settings_factory(plugin={"gifts": section}))
    assert "\n" not in str(caught.value)


async def test_a_new_instance_has_the_default_catalogue(nv_client: Any) -> None:
    keys = [item.key for item in await catalogue.items()]
    assert keys == [d.key for d in catalogue.DEFAULTS]
    # Seeding again adds nothing once the catalogue has rows.
    assert await catalogue.seed_defaults() == 0


async def test_operator_edits_the_catalogue(nv_client: Any, people: dict[str, Any]) -> None:
    await login(nv_client, "root")
    added = await form(
        nv_client,
        "/admin/gifts/catalogue",
        {
            "key": "yarn",
            "name": "Ball of yarn",
            "coins": "25",
            "icon": "heart",
            "animation": "spin",
        },
    )
    assert added.status_code == 303
    yarn = await catalogue.get("yarn")
    assert yarn is not None
    assert (yarn.name, yarn.coins, yarn.animation) == ("Ball of yarn", 25, "spin")
    changed = await form(
        nv_client,
        "/admin/gifts/catalogue",
        {"key": "yarn", "name": "Yarn", "coins": "30", "icon": "heart", "animation": "pop"},
    )
    assert changed.status_code == 303
    assert (await catalogue.get("yarn")).coins == 30  # type: ignore[union-attr]
    retired = await form(nv_client, "/admin/gifts/catalogue/rose/retire", {})
    assert retired.status_code == 303
    assert await catalogue.get("rose") is None
    assert "Retire" in (await nv_client.get("/admin/gifts/")).text
    bad = [
        ({"key": "Bad Key"}, "The key is"),
        ({"name": ""}, "Give the gift a name"),
        ({"coins": "1.5"}, "whole number of coins"),
        ({"coins": "-3"}, "whole number of coins"),
        ({"coins": "0"}, "whole number of coins"),
        ({"icon": "https://example.org/x.svg"}, "icons offered"),
        ({"animation": "explode"}, "animations offered"),
    ]
    before = await GiftItem.count()
    for change, words in bad:
        data = {"key": "new", "name": "New", "coins": "5", "icon": "star", "animation": "pop"}
        answer = await form(nv_client, "/admin/gifts/catalogue", {**data, **change})
        assert answer.status_code == 400, change
        assert words in answer.text, change
    assert await GiftItem.count() == before
    missing = await form(nv_client, "/admin/gifts/catalogue/nothing/retire", {})
    assert missing.status_code == 404


async def test_operator_marks_nonprofits(nv_client: Any, people: dict[str, Any]) -> None:
    await login(nv_client, "root")
    marked = await form(
        nv_client,
        "/admin/gifts/nonprofits",
        {"username": "bob", "legal_name": "Yarn Aid", "registration": "N-1"},
    )
    assert marked.status_code == 303
    assert (await nonprofits.of(people["bob"].id)).legal_name == "Yarn Aid"  # type: ignore[union-attr]
    assert "Yarn Aid" in (await nv_client.get("/admin/gifts/")).text
    nobody = await form(
        nv_client, "/admin/gifts/nonprofits", {"username": "ghost", "legal_name": "X"}
    )
    assert nobody.status_code == 404
    unnamed = await form(
        nv_client, "/admin/gifts/nonprofits", {"username": "bob", "legal_name": ""}
    )
    assert unnamed.status_code == 400
    assert "legal name" in unnamed.text
    await form(nv_client, "/admin/gifts/nonprofits/bob/unmark", {})
    assert await nonprofits.of(people["bob"].id) is None


async def test_members_cannot_reach_the_operator_page(
    nv_client: Any, people: dict[str, Any]
) -> None:
    await login(nv_client, "ann")
    for url in ("/admin/gifts/catalogue", "/admin/gifts/nonprofits", "/admin/gifts/1/reverse"):
        answer = await form(nv_client, url, {"key": "x", "username": "ann", "legal_name": "Me"})
        assert answer.status_code == 403, url
    assert await nonprofits.of(people["ann"].id) is None
