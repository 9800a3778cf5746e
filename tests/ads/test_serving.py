"""Viewers get promoted cards and takeovers within budget, pace and caps; views and clicks
are counted once, and only from tokens made for the viewer."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from nichevid.media.tables import Video
from nichevid.testing.factories import ready_video
from nichevid_ads import campaigns, serving
from nichevid_ads.settings import AdSettings
from nichevid_ads.tables import AdHide, AdView, Campaign
from tests.accounts.conftest import login
from tests.ads.conftest import campaign_form
from tests.moderation.conftest import browser, form

HTMX = {"HX-Request": "true"}
SAME_SITE = {"sec-fetch-site": "same-origin", "content-type": "application/json"}
TOKEN = re.compile(r'data-nv-ad="([^"]+)"')


async def _ad(client: Any, path: str = "/ads/next") -> str | None:
    """The token of the ad served to ``client``, or ``None`` when it got none (204)."""
    answer = await client.get(path, headers=HTMX)
    if answer.status_code == 204:
        assert answer.text == ""
        return None
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    found = TOKEN.search(answer.text)
    assert found is not None
    return found.group(1)


async def _seen(client: Any, *tokens: str) -> Any:
    return await client.post(
        "/ads/seen", content=json.dumps({"tokens": list(tokens)}), headers=SAME_SITE
    )


async def test_the_feed_gets_a_marked_promoted_card(
    nv_client: Any, people: dict[str, Any], promoted: Any, booked: int
) -> None:
    answer = await nv_client.get("/ads/next", headers=HTMX)
    assert answer.status_code == 200
    html = answer.text
    assert f'data-nv-slug="{promoted.slug}"' in html
    assert 'data-nv-feed="sponsored"' in html
    assert "Sponsored</span> Rope &amp; Co" in html
    token = TOKEN.search(html)
    assert token is not None
    assert token.group(1).startswith(f"{booked}.")
    assert f'href="/ads/click/{token.group(1)}" rel="sponsored noopener"' in html
    assert ">Shop ropes</a>" in html
    assert "never by what you watch" in html
    assert f'id="v-{promoted.slug}"' not in html  # never the id of the same video's own card
    # The browser got a viewer id to count its views by; nothing was counted yet.
    assert "nv_viewer" in answer.headers.get("set-cookie", "")
    assert await AdView.count() == 0


async def test_nothing_to_serve_answers_204(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    assert await _ad(nv_client) is None
    day = campaigns.today()
    later = campaign_form(
        promoted,
        starts_on=(day + timedelta(days=1)).isoformat(),
        ends_on=(day + timedelta(days=2)).isoformat(),
    )
    await campaigns.save(later)
    takeover = await campaigns.save(campaign_form(promoted, kind="takeover"))
    await campaigns.set_status(takeover, "paused")
    assert await _ad(nv_client) is None
    assert await _ad(nv_client, "/ads/takeover") is None


async def test_a_view_counts_once_and_only_for_its_viewer(
    nv_client: Any, people: dict[str, Any], booked: int
) -> None:
    token = await _ad(nv_client)
    assert token is not None
    assert (await _seen(nv_client, token, token)).status_code == 204
    assert (await _seen(nv_client, token)).status_code == 204
    assert await AdView.count() == 1
    row = await AdView.objects().first()
    assert row is not None
    assert row.viewer == nv_client.cookies["nv_viewer"]
    assert (row.campaign, row.clicked) == (booked, False)
    # Another browser cannot count it, nor a forged or altered token.
    async with browser(nv_client, None, 4001) as other:
        other.cookies.set("nv_viewer", "b" * 32)
        assert (await _seen(other, token)).status_code == 204
    forged = f"{booked}.0123456789abcdef.{'0' * 24}"
    assert (await _seen(nv_client, forged, token[:-1] + "x", "1.2", "x" * 500)).status_code == 204
    assert await AdView.count() == 1


async def test_bad_view_reports_are_refused(
    nv_client: Any, people: dict[str, Any], booked: int
) -> None:
    for body in ("not json", "[]", '{"tokens": "abc"}', '{"tokens": [1, 2]}', '{"other": []}'):
        answer = await nv_client.post("/ads/seen", content=body, headers=SAME_SITE)
        assert answer.status_code == 400, body
        assert "a list of at most 20 ad tokens" in answer.text
    many = json.dumps({"tokens": ["x"] * 21})
    assert (await nv_client.post("/ads/seen", content=many, headers=SAME_SITE)).status_code == 400
    elsewhere = await nv_client.post(
        "/ads/seen",
        content='{"tokens": []}',
        headers={"sec-fetch-site": "cross-site", "content-type": "application/json"},
    )
    assert elsewhere.status_code == 403
    assert "only from pages of this site" in elsewhere.text
    # A beacon sends text/plain.
    token = await _ad(nv_client)
    assert token is not None
    beacon = await nv_client.post(
        "/ads/seen",
        content=json.dumps({"tokens": [token]}),
        headers={"sec-fetch-site": "same-origin", "content-type": "text/plain"},
    )
    assert beacon.status_code == 204
    assert await AdView.count() == 1


async def test_a_flood_of_view_reports_is_slowed(
    nv_client: Any, people: dict[str, Any], booked: int
) -> None:
    await _ad(nv_client)
    codes = [(await _seen(nv_client)).status_code for _ in range(61)]
    assert codes[:60] == [204] * 60
    assert codes[60] == 429


async def test_clicks_lead_to_the_advertiser_and_count_once(
    nv_client: Any, people: dict[str, Any], booked: int
) -> None:
    token = await _ad(nv_client)
    assert token is not None
    for _ in range(2):
        answer = await nv_client.get(f"/ads/click/{token}", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "https://ropes.example/spring?utm=nv"
    rows = await AdView.select(AdView.clicked)
    assert rows == [{"clicked": True}]  # a click counts the view it came from
    # Someone else's click through the same link still gets there, uncounted.
    async with browser(nv_client, None, 4002) as other:
        answer = await other.get(f"/ads/click/{token}", follow_redirects=False)
        assert answer.status_code == 303
    assert await AdView.count() == 1
    for path in ("/ads/click/999.a.b", "/ads/click/nonsense"):
        missing = await nv_client.get(path, headers={"accept": "text/html"})
        assert missing.status_code == 404
        assert "no longer exists" in missing.text


async def test_caps_per_campaign_and_per_day(
    nv_client: Any,
    nv_resources: Any,
    people: dict[str, Any],
    promoted: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await campaigns.save(campaign_form(promoted, per_viewer="2"))
    served = [await _ad(nv_client) for _ in range(3)]
    assert all(served)
    # Served but not watched ads do not count against the cap.
    await _seen(nv_client, *[t for t in served[:2] if t])
    assert await _ad(nv_client) is None
    # A second campaign fills in, up to the viewer's daily limit of all ads.
    other = await ready_video(people["cara"])
    await campaigns.save(campaign_form(other, name="Chalk", per_viewer="50"))
    serving.forget(nv_resources)
    monkeypatch.setattr(serving, "ad_settings", lambda _: AdSettings(per_viewer_per_day=4))
    tokens = [await _ad(nv_client), await _ad(nv_client)]
    assert all(tokens)
    await _seen(nv_client, *[t for t in tokens if t])
    assert await _ad(nv_client) is None


async def test_members_are_counted_by_account(
    nv_client: Any, people: dict[str, Any], booked: int
) -> None:
    await login(nv_client, "ann")
    token = await _ad(nv_client)
    assert token is not None
    await _seen(nv_client, token)
    row = await AdView.objects().first()
    assert row is not None
    assert row.viewer == f"u{people['ann'].id}"


async def test_spend_stops_at_the_budget_and_is_paced_over_the_days(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], promoted: Any
) -> None:
    # 0.10 EUR at 20 EUR per thousand buys five views, spread over two days: three today.
    day = campaigns.today()
    booked = await campaigns.save(
        campaign_form(
            promoted,
            budget="0.10",
            cpm="20",
            per_viewer="50",
            ends_on=(day + timedelta(days=1)).isoformat(),
        )
    )
    row = await campaigns.get(booked)
    assert campaigns.bought_views(row) == 5
    for _ in range(3):
        token = await _ad(nv_client)
        assert token is not None
        await _seen(nv_client, token)
    assert await _ad(nv_client) is None
    serving.forget(nv_resources)
    assert await _ad(nv_client) is None  # read again from the database: still spent for today
    # On the last day the rest of the budget is there, and nothing after it.
    await Campaign.update({Campaign.ends_on: day}).where(Campaign.id == booked)
    serving.forget(nv_resources)
    for _ in range(2):
        token = await _ad(nv_client)
        assert token is not None
        await _seen(nv_client, token)
    assert await _ad(nv_client) is None
    delivered = (await campaigns.deliveries([booked]))[booked]
    assert delivered.views == 5
    assert delivered.spent(row) == 10


async def test_a_removed_video_stops_its_campaign(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], promoted: Any, booked: int
) -> None:
    assert await _ad(nv_client) is not None
    promoted.visibility = "private"
    await promoted.save()
    serving.forget(nv_resources)
    assert await _ad(nv_client) is None
    # Deleted altogether: the campaign stays, without a video, and serves nothing.
    await Video.delete().where(Video.id == promoted.id)
    serving.forget(nv_resources)
    assert await _ad(nv_client) is None
    assert (await campaigns.get(booked))["video"] is None
    await login(nv_client, "root")
    page = await nv_client.get(f"/admin/ads/{booked}")
    assert "deleted: the campaign is not shown" in page.text


async def test_languages_target_the_page_language(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    await campaigns.save(campaign_form(promoted, languages=["es"]))
    assert await _ad(nv_client) is None
    answer = await nv_client.get("/ads/next", headers={**HTMX, "accept-language": "es"})
    assert answer.status_code == 200
    assert "Patrocinado" in answer.text


async def test_the_takeover_opens_the_day_once(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    await campaigns.save(campaign_form(promoted, kind="takeover", per_viewer="5"))
    answer = await nv_client.get("/ads/takeover")
    assert answer.status_code == 200
    assert '<dialog class="nv-takeover"' in answer.text
    assert 'data-nv-wait="3"' in answer.text
    assert "Skip ad in 3 s" in answer.text
    token = TOKEN.search(answer.text)
    assert token is not None
    await _seen(nv_client, token.group(1))
    assert await _ad(nv_client, "/ads/takeover") is None
    assert await _ad(nv_client) is None  # a takeover is never an in-feed card


async def test_the_home_page_loads_the_ad_script(
    nv_client: Any, people: dict[str, Any], promoted: Any
) -> None:
    html = (await nv_client.get("/")).text
    assert '<script type="application/json" id="nv-ads">{"every": 6}</script>' in html
    assert '<script src="/static/plugins/ads/ads.js" defer></script>' in html
    assert "/static/plugins/ads/ads.css" in html
    assert "ads.js" not in (await nv_client.get(f"/v/{promoted.slug}")).text
    script = await nv_client.get("/static/plugins/ads/ads.js")
    assert script.status_code == 200
    assert "/ads/next" in script.text


async def test_a_hidden_ad_is_never_shown_again(
    nv_client: Any, people: dict[str, Any], promoted: Any, booked: int
) -> None:
    other = await ready_video(people["cara"])
    chalk = await campaigns.save(campaign_form(other, name="Chalk", per_viewer="50"))
    await login(nv_client, "ann")
    token = await _ad(nv_client)
    assert token is not None
    card = (await nv_client.get("/ads/next", headers=HTMX)).text
    assert 'hx-post="/ads/hide/' in card
    answer = await form(nv_client, f"/ads/hide/{token}", {}, headers=HTMX)
    assert answer.status_code == 200
    assert "Ad hidden. You will not see it again." in answer.text
    gone = int(token.split(".")[0])
    left = {booked, chalk} - {gone}
    for _ in range(10):
        shown = await _ad(nv_client)
        assert shown is not None
        assert int(shown.split(".")[0]) in left
    # Someone else's token, a forged one, or no consent to count: nothing is hidden.
    async with browser(nv_client, None, 4003) as other_browser:
        refused = await form(other_browser, f"/ads/hide/{shown}", {}, headers=HTMX)
        assert refused.status_code == 404
        assert "cannot be hidden" in refused.text
    assert (await form(nv_client, "/ads/hide/1.a.b", {}, headers=HTMX)).status_code == 404
    assert (await AdHide.select(AdHide.campaign)) == [{"campaign": gone}]
