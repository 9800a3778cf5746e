"""Operators book, change, pause and end campaigns; every bad field is refused whole."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.settings import ConfigError
from nichevid.testing.factories import ready_video
from nichevid_ads import campaigns, serving
from nichevid_ads.tables import Campaign
from tests.accounts.conftest import login
from tests.ads.conftest import campaign_form
from tests.moderation.conftest import form


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"every": 1}, "every"),
        ({"view_seconds": 0}, "view_seconds"),
        ({"per_viewer_per_day": "many"}, "per_viewer_per_day"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_ad_settings_stop_start_up(
    nv_settings_factory: Callable[..., Any],
    section: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "ads")
    with pytest.raises(ConfigError, match=message) as caught:
        create_app(nv_settings_factory(plugin={"ads": section}))
    assert "\n" not in str(caught.value)


async def test_operator_books_a_campaign(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    await login(nv_client, "root")
    answer = await form(nv_client, "/admin/ads", campaign_form(promoted, languages=["es", "en"]))
    assert answer.status_code == 303
    row = await Campaign.objects().first()
    assert row is not None
    assert answer.headers["location"] == f"/admin/ads/{row.id}?done=created"
    assert (row.budget, row.cpm, row.currency, row.languages) == (10000, 500, "EUR", "en,es")
    assert (row.advertiser, row.cta_url) == ("Rope & Co", "https://ropes.example/spring?utm=nv")
    page = await nv_client.get(f"/admin/ads/{row.id}")
    assert page.status_code == 200
    assert "Spring ropes" in page.text
    assert "0 / 20000" in page.text  # 100 EUR at 5 EUR per thousand buys 20,000 views
    assert 'value="100.00"' in page.text
    assert f'value="{promoted.slug}"' in page.text
    assert 'value="es" checked> <span lang="es">Español</span>' in page.text
    home = await nv_client.get("/admin/ads")
    assert f'data-campaign="{row.id}"' in home.text
    # The page's own language menu still lists the languages by name.
    assert '<option value="en" lang="en" selected>English</option>' in home.text
    assert "Rope &amp; Co" in home.text
    assert '<a href="/admin/ads">' in (await nv_client.get("/admin")).text


def _bad_forms(video: Any, private: Any) -> list[tuple[dict[str, Any], str]]:
    day = campaigns.today()
    return [
        (campaign_form(video, name=""), "Fill in the campaign"),
        (campaign_form(video, name="x" * 81), "at most 80"),
        (campaign_form(video, advertiser=" "), "Fill in the advertiser"),
        (campaign_form(video, kind="popup"), "in-feed or takeover"),
        (campaign_form(video, video="nosuchvideo"), "ready public video"),
        (campaign_form(video, video=private.slug), "ready public video"),
        (campaign_form(video, cta_url="http://ropes.example"), "https://"),
        (campaign_form(video, cta_url="javascript:alert(1)"), "https://"),
        (campaign_form(video, cta_url="https://me:pw@ropes.example/"), "https://"),
        (campaign_form(video, cta_url="https://ropes.example/" + "a" * 2000), "https://"),
        (campaign_form(video, cta_label=""), "button"),
        (campaign_form(video, starts_on="tomorrow"), "2026-12-31"),
        (
            campaign_form(
                video,
                starts_on=(day + timedelta(days=3)).isoformat(),
                ends_on=(day + timedelta(days=1)).isoformat(),
            ),
            "swap them",
        ),
        (
            campaign_form(
                video,
                starts_on=(day - timedelta(days=5)).isoformat(),
                ends_on=(day - timedelta(days=1)).isoformat(),
            ),
            "in the past",
        ),
        (campaign_form(video, currency="XYZ"), "ISO 4217"),
        (campaign_form(video, budget="-5"), "more than zero"),
        (campaign_form(video, budget="ten"), "not an amount"),
        (campaign_form(video, cpm="0.001"), "decimals"),
        (campaign_form(video, per_viewer="0"), "1 to 100"),
        (campaign_form(video, per_viewer="lots"), "1 to 100"),
        (campaign_form(video, languages=["tlh"]), "languages"),
    ]


async def test_bad_campaign_forms_are_refused_and_book_nothing(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    private = await ready_video(people["brand"], visibility="private")
    await login(nv_client, "root")
    for data, message in _bad_forms(promoted, private):
        answer = await form(nv_client, "/admin/ads", data)
        assert answer.status_code == 400, (data, answer.status_code)
        assert message in answer.text, (message, data)
        # The form comes back with what was typed.
        assert f'value="{data["name"]}"' in answer.text
    assert await Campaign.count() == 0


async def test_a_refused_change_keeps_the_campaign(
    nv_client: Any, people: dict[str, Any], promoted: Any, booked: int
) -> None:
    await login(nv_client, "root")
    before = await campaigns.get(booked)
    answer = await form(
        nv_client, f"/admin/ads/{booked}", campaign_form(promoted, name="New", budget="-1")
    )
    assert answer.status_code == 400
    assert "more than zero" in answer.text
    assert 'value="New"' in answer.text
    assert await campaigns.get(booked) == before
    changed = await form(nv_client, f"/admin/ads/{booked}", campaign_form(promoted, cpm="4"))
    assert changed.status_code == 303
    assert (await campaigns.get(booked))["cpm"] == 400
    missing = await form(nv_client, "/admin/ads/999", campaign_form(promoted))
    assert missing.status_code == 404
    assert "no campaign 999" in missing.text


async def test_only_one_takeover_holds_a_day(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    day = campaigns.today()
    first = await campaigns.save(campaign_form(promoted, kind="takeover", name="Day one"))
    await login(nv_client, "root")
    clash = campaign_form(
        promoted,
        kind="takeover",
        name="Later",
        starts_on=(day + timedelta(days=9)).isoformat(),
        ends_on=(day + timedelta(days=12)).isoformat(),
    )
    answer = await form(nv_client, "/admin/ads", clash)
    assert answer.status_code == 409
    assert "Day one already holds" in answer.text
    # Days after it are free; in-feed campaigns never clash.
    free = {
        **clash,
        "starts_on": (day + timedelta(days=13)).isoformat(),
        "ends_on": (day + timedelta(days=14)).isoformat(),
    }
    assert (await form(nv_client, "/admin/ads", free)).status_code == 303
    assert (await form(nv_client, "/admin/ads", {**clash, "kind": "in_feed"})).status_code == 303
    # Ending the first frees its days; it cannot be resumed afterwards.
    ended = await form(nv_client, f"/admin/ads/{first}/status", {"status": "ended"})
    assert ended.status_code == 303
    assert (await form(nv_client, "/admin/ads", clash)).status_code == 303
    again = await form(nv_client, f"/admin/ads/{first}/status", {"status": "active"})
    assert again.status_code == 409
    assert "has ended" in again.text
    assert (await campaigns.get(first))["status"] == "ended"


async def test_pause_and_resume(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], booked: int
) -> None:
    await login(nv_client, "root")
    assert [r.id for r in await serving.running(nv_resources)] == [booked]
    paused = await form(nv_client, f"/admin/ads/{booked}/status", {"status": "paused"})
    assert paused.status_code == 303
    assert await serving.running(nv_resources) == []  # the process reads them again at once
    bad = await form(nv_client, f"/admin/ads/{booked}/status", {"status": "deleted"})
    assert bad.status_code == 400
    assert (await campaigns.get(booked))["status"] == "paused"
    await form(nv_client, f"/admin/ads/{booked}/status", {"status": "active"})
    assert [r.id for r in await serving.running(nv_resources)] == [booked]


async def test_report_lists_views_clicks_and_spend_per_day(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    # 1 EUR budget at 300 EUR per thousand: three views cost 0.90, the fourth only 0.10.
    booked = await campaigns.save(campaign_form(promoted, budget="1", cpm="300"))
    day = campaigns.today()
    yesterday = day - timedelta(days=1)
    for n, when in enumerate([yesterday, yesterday, yesterday, day, day]):
        await Campaign.raw(
            "INSERT INTO nv_ad_view (token, campaign, day, viewer, clicked, created_at) "
            "VALUES ({}, {}, {}, {}, {}, CURRENT_TIMESTAMP)",
            f"t{n}",
            booked,
            when,
            f"v{n}",
            n == 0,
        )
    await login(nv_client, "root")
    answer = await nv_client.get(f"/admin/ads/{booked}/report.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [
        ["day", "views", "clicks", "spent", "currency"],
        [yesterday.isoformat(), "3", "1", "0.90", "EUR"],
        [day.isoformat(), "2", "0", "0.10", "EUR"],
    ]
    page = await nv_client.get(f"/admin/ads/{booked}")
    assert "1.00 EUR / 1.00 EUR" in page.text


async def test_admin_pages_are_for_admins(
    nv_client: Any, people: dict[str, Any], booked: int
) -> None:
    visitor = await nv_client.get(
        "/admin/ads", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert visitor.status_code == 303
    assert visitor.headers["location"] == "/login?next=/admin/ads"
    await login(nv_client, "ann")
    for path in ("/admin/ads", f"/admin/ads/{booked}", f"/admin/ads/{booked}/report.csv"):
        assert (await nv_client.get(path)).status_code == 403
    refused = await form(nv_client, f"/admin/ads/{booked}/status", {"status": "ended"})
    assert refused.status_code == 403
    assert (await campaigns.get(booked))["status"] == "active"
