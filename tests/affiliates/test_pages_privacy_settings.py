"""The creator's and operator's pages, export and erasure, and bad settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.payments import accounts as acc
from nichevid.payments.ledger import balance
from nichevid.privacy import deletion
from nichevid.settings import ConfigError, redacted
from nichevid.testing.exports import exported_file
from nichevid_affiliates import clicks
from nichevid_affiliates.tables import Click, Conversion, Link
from tests.accounts.conftest import PASSWORD

from .conftest import HTML, browser, form, login, signed
from .test_cards_and_redirect import SHOP, attach


async def _sale(client: Any, token: str, order: str, amount: int) -> None:
    body, headers = signed({"click": token, "amount": amount, "currency": "EUR", "order": order})
    assert (
        await client.post("/affiliates/postback", content=body, headers=headers)
    ).status_code == 200


async def test_the_creators_page_counts_clicks_and_sales(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    yarn, hooks = await attach(video, ("Yarn", SHOP), ("Hooks", "https://hooks.example.org/h"))
    today = datetime.now(UTC).date()
    # Clicks today, 10 days and 40 days ago, on the first link.
    await clicks.record(yarn, "sviewer1", None)
    await clicks.record(yarn, "sviewer2", None, today - timedelta(days=10))
    await clicks.record(yarn, "sviewer3", None, today - timedelta(days=40))
    token = await clicks.record(hooks, "sviewer1", None)
    await _sale(nv_client, token, "O-1", 1000)
    await login(nv_client, "cara")
    page = (await nv_client.get("/affiliates/mine", headers=HTML)).text
    row = page.split(f'data-link="{yarn}"')[1].split("</tr>")[0]
    assert "<td data-clicks-7>1</td><td data-clicks-30>2</td><td data-clicks-all>3</td>" in row
    assert "<td data-sales>0</td>" in row
    row = page.split(f'data-link="{hooks}"')[1].split("</tr>")[0]
    assert "<td data-sales>1</td>" in row
    assert "8.00" in row  # 1000 less the 20 % cut
    assert 'href="/affiliates/mine" aria-current="page"' in page
    # Another member sees only their own (none).
    async with browser(nv_client, "ann", 4201) as ann:
        theirs = (await ann.get("/affiliates/mine", headers=HTML)).text
        assert "You have no affiliate links yet." in theirs
        assert (await ann.get("/admin/affiliates", headers=HTML)).status_code == 403


async def test_the_operators_page_by_creator_and_domain(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    yarn, hooks = await attach(video, ("Yarn", SHOP), ("Hooks", "https://hooks.example.org/h"))
    await clicks.record(yarn, "sviewer1", None)
    token = await clicks.record(yarn, "sviewer2", None)
    await clicks.record(hooks, "sviewer1", None)
    await _sale(nv_client, token, "O-2", 500)
    await login(nv_client, "root")
    home = (await nv_client.get("/admin", headers=HTML)).text
    assert 'href="/admin/affiliates"' in home
    page = (await nv_client.get("/admin/affiliates", headers=HTML)).text
    creator = page.split('data-creator="cara"')[1].split("</tr>")[0]
    assert "<td>3</td><td>3</td><td>3</td><td>1</td><td>4.00" in creator.replace("\u00a0", " ")
    shop = page.split('data-domain="example-shop.com"')[1].split("</tr>")[0]
    assert "<td>2</td><td>2</td><td>2</td><td>1</td>" in shop
    assert 'data-domain="hooks.example.org"' in page
    assert f'action="/admin/affiliates/links/{yarn}/disable"' in page
    missing = await form(nv_client, "/admin/affiliates/links/999999/disable", {})
    assert missing.status_code == 404
    assert "There is no such link." in missing.text


async def test_visitors_are_sent_to_log_in(nv_client: Any) -> None:
    for url in ("/affiliates/mine", "/admin/affiliates"):
        answer = await nv_client.get(url, headers=HTML)
        assert answer.status_code in (302, 303), url
        assert "/login" in answer.headers["location"]


async def test_export_and_erasure(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, people: dict[str, Any], video: Any
) -> None:
    cara, ann = people["cara"], people["ann"]
    (yarn,) = await attach(video, ("Yarn", SHOP))
    token = await clicks.record(yarn, f"u{ann.id}", ann.id)
    await clicks.record(yarn, "sviewer9", None)
    await _sale(nv_client, token, "O-3", 1000)
    theirs = await exported_file(nv_resources, nv_run_jobs, cara, "affiliates.json")
    (link,) = theirs["links"]
    assert (link["label"], link["url"], link["clicks"], link["video"]) == (
        "Yarn",
        SHOP,
        2,
        video.slug,
    )
    assert [(s["order"], s["your_share"]) for s in theirs["sales"]] == [("O-3", 800)]
    mine = await exported_file(nv_resources, nv_run_jobs, ann, "affiliates.json")
    assert [(c["label"], c["url"]) for c in mine["clicks_made"]] == [("Yarn", SHOP)]
    assert mine["links"] == []
    # Ann's erasure keeps Cara's click count but not Ann in it.
    state = await deletion.request_deletion(nv_resources, ann, PASSWORD)
    await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1))
    assert await Click.count().where(Click.link == yarn) == 2
    assert await Click.count().where(Click.dedupe.like(f"%u{ann.id}%")) == 0
    assert await Click.count().where(Click.member.is_not_null()) == 0
    # Cara's erasure removes her links and their clicks; the ledger keeps the money.
    state = await deletion.request_deletion(nv_resources, cara, PASSWORD)
    await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1))
    assert await Link.count() == 0
    assert await Click.count() == 0
    (conversion,) = await Conversion.objects()
    assert (conversion.creator, conversion.link, conversion.click) == (None, None, None)
    assert await balance(acc.platform("EUR")) == 200


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"max_links_per_video": 0}, "max_links_per_video"),
        ({"max_links_per_video": 9}, "max_links_per_video"),
        (
            {"blocked_domains": ["https://x.com/"]},
            "blocked_domains: 'https://x.com/' is not a domain",
        ),
        ({"allowed_domains": ["a.com"], "blocked_domains": ["a.com"]}, "both in blocked_domains"),
        ({"click_param": "sub id"}, "click_param 'sub id' must be"),
        ({"append_params": {"shop.com": {"subid": "x"}}}, "is the click_param"),
        ({"append_params": {"shop.com": {"a b": "x"}}}, "parameter name 'a b'"),
        ({"append_params": {"not a domain": {"a": "x"}}}, "append_params: 'not a domain'"),
        ({"disclosure": "x" * 301}, "disclosure is longer than 300"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_stop_start_up(
    nv_settings_factory: Callable[..., Any],
    section: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "affiliates")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as caught:
        create_app(nv_settings_factory(plugin={"affiliates": section}))
    assert "\n" not in str(caught.value)


def test_the_postback_secret_comes_from_the_environment_and_is_redacted(
    nv_settings_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "affiliates")
    monkeypatch.setenv("AFF_SECRET", "from-the-env")
    settings = nv_settings_factory(
        plugin={"affiliates": {"postback_secret": {"env": "AFF_SECRET"}}}
    )
    app = create_app(settings)
    config = app.state.settings.plugin["affiliates"]["_parsed"]
    assert config.postback_secret.reveal() == "from-the-env"
    shown = json.dumps(redacted(app.state.settings), default=str)
    assert "from-the-env" not in shown
