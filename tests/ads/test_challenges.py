"""Sponsored hashtag challenges: booked by operators, shown on their hashtag page and listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.testing.factories import ready_video
from nichevid_ads import campaigns, challenges
from nichevid_ads.tables import Challenge
from tests.accounts.conftest import login
from tests.moderation.conftest import form


def challenge_form(**changes: Any) -> dict[str, Any]:
    day = campaigns.today()
    return {
        "tag": "#Bouldering",
        "sponsor": "Rope & Co",
        "title": "Send your hardest problem",
        "description": "Film a problem you topped this week <b>and</b> tag it.",
        "prize": "A new rope",
        "cta_label": "See the rope",
        "cta_url": "https://ropes.example/",
        "starts_on": day.isoformat(),
        "ends_on": (day + timedelta(days=6)).isoformat(),
        **changes,
    }


async def test_a_challenge_shows_on_its_hashtag_page(
    nv_client: Any, people: dict[str, Any]
) -> None:
    await login(nv_client, "root")
    answer = await form(nv_client, "/admin/ads/challenges", challenge_form())
    assert answer.status_code == 303
    row = await Challenge.objects().first()
    assert row is not None
    assert row.tag == "bouldering"
    # Two videos joined on its days; one published before it started does not count.
    await ready_video(people["cara"], caption="crux #bouldering", hashtags=["bouldering"])
    await ready_video(people["ann"], caption="flash #Bouldering", hashtags=["bouldering"])
    await ready_video(people["ann"], caption="#chalk", hashtags=["chalk"])
    old = await ready_video(people["cara"], hashtags=["bouldering"])
    old.published_at = datetime.now(UTC) - timedelta(days=30)
    await old.save()
    page = (await nv_client.get("/tag/bouldering")).text
    assert "Sponsored challenge</span> by Rope &amp; Co" in page
    assert "Send your hardest problem" in page
    assert "&lt;b&gt;and&lt;/b&gt;" in page
    assert "2 videos joined" in page
    assert 'href="/upload?caption=%23bouldering"' in page
    assert 'href="https://ropes.example/" rel="sponsored noopener"' in page
    assert "Sponsored challenge" not in (await nv_client.get("/tag/climbing")).text
    listed = (await nv_client.get("/challenges")).text
    assert 'href="/tag/bouldering"' in listed
    assert "2 videos joined" in listed
    upload = (await nv_client.get("/upload")).text
    assert "></textarea>" in upload
    await login(nv_client, "cara")
    joined = (await nv_client.get("/upload?caption=%23bouldering")).text
    assert ">#bouldering</textarea>" in joined


async def test_bad_challenge_forms_are_refused(nv_client: Any, people: dict[str, Any]) -> None:
    await login(nv_client, "root")
    day = campaigns.today()
    bad = [
        (challenge_form(tag="#no spaces"), "like #bouldering"),
        (challenge_form(tag=""), "like #bouldering"),
        (challenge_form(sponsor=""), "Fill in the sponsor"),
        (challenge_form(title="t" * 81), "at most 80"),
        (challenge_form(description="d" * 1001), "at most 1000"),
        (challenge_form(cta_url="ftp://ropes.example"), "https://"),
        (challenge_form(cta_label=""), "button"),
        (challenge_form(ends_on="31/12/2026"), "2026-12-31"),
        (
            challenge_form(
                starts_on=(day - timedelta(days=3)).isoformat(),
                ends_on=(day - timedelta(days=2)).isoformat(),
            ),
            "in the past",
        ),
    ]
    for data, message in bad:
        answer = await form(nv_client, "/admin/ads/challenges", data)
        assert answer.status_code == 400, data
        assert message in answer.text, (message, data)
        assert f'value="{data["sponsor"]}"' in answer.text.replace("&amp;", "&")
    assert await Challenge.count() == 0
    # Without a link, no button words are needed.
    plain = challenge_form(cta_url="", cta_label="")
    assert (await form(nv_client, "/admin/ads/challenges", plain)).status_code == 303
    clash = await form(nv_client, "/admin/ads/challenges", challenge_form(tag="bouldering"))
    assert clash.status_code == 409
    assert "already has a sponsored challenge" in clash.text
    assert await Challenge.count() == 1


async def test_an_ended_challenge_leaves_the_pages(nv_client: Any, people: dict[str, Any]) -> None:
    challenge_id = await challenges.save(challenge_form())
    await login(nv_client, "root")
    assert "Sponsored challenge" in (await nv_client.get("/tag/bouldering")).text
    ended = await form(nv_client, f"/admin/ads/challenges/{challenge_id}/end", {})
    assert ended.status_code == 303
    assert "Sponsored challenge" not in (await nv_client.get("/tag/bouldering")).text
    assert "No challenge is running right now." in (await nv_client.get("/challenges")).text
    missing = await form(nv_client, "/admin/ads/challenges/999/end", {})
    assert missing.status_code == 404
    await login(nv_client, "ann")
    refused = await form(nv_client, "/admin/ads/challenges", challenge_form(tag="chalk"))
    assert refused.status_code == 403
    assert await Challenge.count() == 1
