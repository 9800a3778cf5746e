"""The minimum tier of a subscribers-only video, chosen on the upload form and the edit form.

Cara offers Fan (level 1) and Patron (level 2); Eve, another creator, offers her own
tier; Dora is a creator without tiers.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from nichevid.accounts.tokens import create_token
from nichevid.media.tables import Upload, Video
from nichevid.testing.factories import ready_video
from nichevid_subscriptions import access, tiers

from .conftest import form, login

TUS = {"Tus-Resumable": "1.0.0"}
HTML = {"accept": "text/html"}


def metadata(**values: str) -> str:
    """An ``Upload-Metadata`` header."""
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


async def upload(client: Any, user: Any, body: bytes = b"", **meta: str) -> Any:
    """Start a tus upload as ``user`` (and send ``body`` with it, completing it)."""
    plain, _ = await create_token(user, "uploads")
    headers = {
        **TUS,
        "Authorization": f"Bearer {plain}",
        "Upload-Length": str(len(body) or 100),
        "Upload-Metadata": metadata(filename="clip.mp4", **meta),
    }
    if body:
        headers["Content-Type"] = "application/offset+octet-stream"
    return await client.post("/uploads/", headers=headers, content=body or None)


@pytest.fixture
async def others(nv_resources: Any, make_user: Any) -> dict[str, Any]:
    eve = await make_user("eve", role="creator")
    hers = await tiers.create_tier(
        nv_resources.settings, eve, tiers.TierInput("Eve's", "3", "EUR", "", "Eve")
    )
    return {"eve": eve, "hers": hers, "dora": await make_user("dora", role="creator")}


async def test_the_upload_form_offers_the_creators_tiers_on_offer(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any], others: dict[str, Any]
) -> None:
    retired = await tiers.create_tier(
        nv_client.app.state.settings,
        people["cara"],
        tiers.TierInput("Old", "2", "EUR", "", "Old", "3"),
    )
    await tiers.retire_tier(people["cara"], int(retired.id))
    await login(nv_client, "cara")
    page = (await nv_client.get("/upload", headers=HTML)).text
    assert 'name="subscriptions_tier"' in page
    assert '<option value="" selected>Every tier</option>' in page
    assert f'<option value="{two_tiers["patron"].id}">2. Patron</option>' in page
    assert "Old" not in page
    assert "Eve&#39;s" not in page
    assert "Eve's" not in page
    await login(nv_client, "dora")
    bare = (await nv_client.get("/upload", headers=HTML)).text
    assert 'name="subscriptions_tier"' not in bare
    assert "You offer no subscription tiers yet" in bare


async def test_an_upload_stores_the_tier_it_was_sent_with(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    patron = two_tiers["patron"]
    sent = await upload(
        nv_client,
        people["cara"],
        b"not really a video",
        caption="for patrons",
        visibility="subscribers",
        subscriptions_tier=str(patron.id),
    )
    assert sent.status_code == 201, sent.text
    video = await Video.objects().where(Video.caption == "for patrons").first()
    assert video is not None
    assert video.visibility == "subscribers"
    assert await access.video_tiers([int(video.id)]) == {int(video.id): int(patron.id)}
    assert await access.required_level(int(video.id)) == 2
    every = await upload(
        nv_client,
        people["cara"],
        b"another one",
        caption="for all tiers",
        visibility="subscribers",
        subscriptions_tier="",
    )
    assert every.status_code == 201, every.text
    video = await Video.objects().where(Video.caption == "for all tiers").first()
    assert video is not None
    assert await access.video_tiers([int(video.id)]) == {}


async def test_bad_tiers_and_no_tiers_are_refused_before_anything_is_stored(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any], others: dict[str, Any]
) -> None:
    await tiers.retire_tier(people["cara"], int(two_tiers["fan"].id))
    cases = [
        (people["cara"], str(others["hers"].id), "Choose one of your tiers on offer"),
        (people["cara"], "not-a-number", "Choose one of your tiers on offer"),
        (people["cara"], "99999", "Choose one of your tiers on offer"),
        (people["cara"], str(two_tiers["fan"].id), "The tier Fan is retired"),
        (others["dora"], "", "You offer no subscription tiers yet"),
    ]
    for user, tier, message in cases:
        refused = await upload(nv_client, user, visibility="subscribers", subscriptions_tier=tier)
        assert refused.status_code == 400, (tier, refused.text)
        assert message in refused.text
    plain, _ = await create_token(others["dora"], "api")
    api = await nv_client.post(
        "/api/videos?visibility=subscribers&filename=clip.mp4",
        headers={"Authorization": f"Bearer {plain}"},
        content=b"x" * 100,
    )
    assert api.status_code == 400
    assert "You offer no subscription tiers yet" in api.json()["detail"]
    assert await Upload.count() == 0
    assert await Video.count() == 0
    # Without tiers a creator still posts public videos.
    public = await upload(nv_client, others["dora"], visibility="public")
    assert public.status_code == 201


@pytest.fixture
async def for_patrons(nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any]) -> Any:
    """Cara's subscribers-only video at the Patron tier and its edit form's URL; Cara is
    signed in."""
    video = await ready_video(people["cara"], caption="secret", visibility="subscribers")
    await access.set_video_tier(video, two_tiers["patron"])
    await login(nv_client, "cara")
    return video, f"/upload/edit/{video.slug}"


async def test_the_edit_form_changes_the_tier_without_losing_anything(
    nv_client: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    others: dict[str, Any],
    for_patrons: Any,
) -> None:
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    video, url = for_patrons
    page = (await nv_client.get(url, headers=HTML)).text
    assert f'<option value="{patron.id}" selected>2. Patron</option>' in page
    changed = await form(
        nv_client, url, {"caption": "secret", "visibility": "subscribers",
                         "subscriptions_tier": str(fan.id)}
    )  # fmt: skip
    assert changed.status_code == 303
    assert await access.required_level(int(video.id)) == 1
    # Public for a while, then subscribers-only again: the tier chosen is kept.
    await form(nv_client, url, {"caption": "secret", "visibility": "public",
                                "subscriptions_tier": str(patron.id)})  # fmt: skip
    assert await access.video_tiers([int(video.id)]) == {int(video.id): int(patron.id)}
    # A retired tier stays while the creator leaves it as it is...
    await tiers.retire_tier(people["cara"], int(patron.id))
    page = (await nv_client.get(url, headers=HTML)).text
    assert f'<option value="{patron.id}" selected>2. Patron (retired)</option>' in page
    kept = await form(
        nv_client, url, {"caption": "still secret", "visibility": "subscribers",
                         "subscriptions_tier": str(patron.id)}
    )  # fmt: skip
    assert kept.status_code == 303
    assert await access.required_level(int(video.id)) == 2
    # ...but another creator's tier, or an unknown one, is refused and nothing changes.
    for bad in (str(others["hers"].id), "abc"):
        refused = await form(
            nv_client, url, {"caption": "changed", "visibility": "subscribers",
                             "subscriptions_tier": bad}
        )  # fmt: skip
        assert refused.status_code == 400
        assert "Choose one of your tiers on offer" in refused.text
    stored = await Video.objects().where(Video.id == video.id).first()
    assert stored is not None
    assert stored.caption == "still secret"
    assert await access.required_level(int(video.id)) == 2
    everyone = await form(
        nv_client, url, {"caption": "still secret", "visibility": "subscribers",
                         "subscriptions_tier": ""}
    )  # fmt: skip
    assert everyone.status_code == 303
    assert await access.video_tiers([int(video.id)]) == {}
    # Another creator's video has no edit form for Cara.
    theirs = await ready_video(others["eve"], caption="eve's", visibility="subscribers")
    assert (await nv_client.get(f"/upload/edit/{theirs.slug}", headers=HTML)).status_code == 404


async def test_a_refused_edit_form_shows_the_tier_that_was_chosen(
    nv_client: Any,
    people: dict[str, Any],
    two_tiers: dict[str, Any],
    others: dict[str, Any],
    for_patrons: Any,
) -> None:
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    video, url = for_patrons
    # The caption is refused: the form keeps Fan, which Cara chose, not the stored Patron.
    refused = await form(
        nv_client, url, {"caption": "x" * 3000, "visibility": "subscribers",
                         "subscriptions_tier": str(fan.id)}
    )  # fmt: skip
    assert refused.status_code == 400
    assert f'<option value="{fan.id}" selected>1. Fan</option>' in refused.text
    assert f'<option value="{patron.id}">2. Patron</option>' in refused.text
    assert await access.required_level(int(video.id)) == 2
    # Another creator's tier posted: refused, her tier is never named, nothing is selected
    # but the browser's first choice.
    hers = await form(
        nv_client, url, {"caption": "secret", "visibility": "subscribers",
                         "subscriptions_tier": str(others["hers"].id)}
    )  # fmt: skip
    assert hers.status_code == 400
    assert f'<option value="{others["hers"].id}"' not in hers.text
    assert "Eve&#39;s" not in hers.text
    assert " selected>" not in hers.text.split('name="subscriptions_tier"')[1].split("</select>")[0]
    # A stored retired tier stays offered, unselected, when Cara chose another one.
    await tiers.retire_tier(people["cara"], int(patron.id))
    again = await form(
        nv_client, url, {"caption": "x" * 3000, "visibility": "subscribers",
                         "subscriptions_tier": ""}
    )  # fmt: skip
    assert f'<option value="{patron.id}">2. Patron (retired)</option>' in again.text
    assert '<option value="" selected>' in again.text


async def test_the_json_api_chooses_the_tier_on_upload_and_on_change(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any], others: dict[str, Any]
) -> None:
    fan, patron = two_tiers["fan"], two_tiers["patron"]
    plain, _ = await create_token(people["cara"], "script")
    auth = {"Authorization": f"Bearer {plain}"}
    query = {"caption": "by script", "visibility": "subscribers", "filename": "clip.mp4"}
    sent = await nv_client.post(
        "/api/videos",
        params={**query, "subscriptions_tier": str(patron.id)},
        content=b"bytes of a clip",
        headers=auth,
    )
    assert sent.status_code == 201, sent.text
    slug = sent.json()["id"]
    video = await Video.objects().where(Video.slug == slug).first()
    assert video is not None
    assert await access.video_tiers([int(video.id)]) == {int(video.id): int(patron.id)}
    # Another creator's tier is refused before anything is stored.
    uploads_before = await Upload.count()
    refused = await nv_client.post(
        "/api/videos",
        params={**query, "subscriptions_tier": str(others["hers"].id)},
        content=b"bytes of a clip",
        headers=auth,
    )
    assert refused.status_code == 400
    assert "Choose one of your tiers on offer" in refused.json()["detail"]
    assert await Upload.count() == uploads_before
    # PATCH changes the tier with the caption, or refuses both.
    url = f"/api/videos/{slug}"
    changed = await nv_client.patch(
        url, json={"caption": "fans too", "subscriptions_tier": str(fan.id)}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    assert await access.required_level(int(video.id)) == 1
    for body, message in (
        ({"caption": "no", "subscriptions_tier": str(others["hers"].id)}, "tiers on offer"),
        ({"caption": "no", "subscriptions_tier": 3}, "must be text"),
        ({"caption": "no", "Tier": "1"}, "Unknown field: Tier"),
        ({"caption": "no", "subscriptions_tier": "9" * 300}, "longer than 200"),
        ({"caption": "x" * 3000, "subscriptions_tier": str(patron.id)}, "Captions are at most"),
    ):
        answer = await nv_client.patch(url, json=body, headers=auth)
        assert answer.status_code == 400, body
        assert message in answer.json()["detail"]
    stored = await Video.objects().where(Video.id == video.id).first()
    assert stored is not None
    assert stored.caption == "fans too"
    assert await access.required_level(int(video.id)) == 1
    # Leaving the tier out keeps it.
    kept = await nv_client.patch(url, json={"caption": "still fans"}, headers=auth)
    assert kept.status_code == 200
    assert await access.required_level(int(video.id)) == 1
