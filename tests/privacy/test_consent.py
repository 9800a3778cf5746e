"""The consent banner: no watch events or viewer cookie before an anonymous viewer accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nichevid.feed.tables import WatchEvent
from nichevid.testing.factories import ready_video

from .conftest import csrf_token, login, post_form


def batch(video: Any, event_id: str) -> str:
    return json.dumps(
        {"events": [{"id": event_id, "video": video.slug, "watched_ms": 1500, "feed": "foryou"}]}
    )


async def send(client: Any, video: Any, event_id: str) -> Any:
    return await client.post(
        "/api/events",
        content=batch(video, event_id),
        headers={"content-type": "application/json", "origin": "http://127.0.0.1:8000"},
    )


async def stored(nv_run_jobs: Any, client: Any) -> int:
    # Events are buffered: write what is waiting, as the writer would a moment later.
    from nichevid.feed.events_api import ingest_of

    await ingest_of(client.app).buffer.flush()
    return int(await WatchEvent.count())


@pytest.mark.parametrize("nv_settings", [{"consent_banner": True}], indirect=True)
async def test_nothing_is_tracked_until_an_anonymous_viewer_accepts(
    nv_client: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    owner = await make_user("ada")
    video = await ready_video(owner)
    home = (await nv_client.get("/")).text
    assert 'id="nv-consent"' in home
    assert "Nothing is stored until you accept." in home
    assert 'name="choice" value="accept"' in home
    answer = await send(nv_client, video, "event-e1")
    assert answer.status_code == 202
    assert answer.json()["consent"] == "required"
    assert "nv_viewer" not in answer.headers.get("set-cookie", "")
    assert await stored(nv_run_jobs, nv_client) == 0
    # Declining is remembered, and still nothing is stored.
    declined = await post_form(
        nv_client, "/privacy/consent", {"choice": "decline", "next": "/guidelines"}
    )
    assert declined.status_code == 303
    assert declined.headers["location"] == "/guidelines"
    assert nv_client.cookies.get("nv_consent") == "decline"
    await send(nv_client, video, "event-e2")
    assert await stored(nv_run_jobs, nv_client) == 0
    accepted = await post_form(
        nv_client, "/privacy/consent", {"choice": "accept", "next": "//evil"}
    )
    assert accepted.headers["location"] == "/"
    answer = await send(nv_client, video, "event-e3")
    assert answer.status_code == 202, answer.text
    assert "consent" not in answer.json()
    assert answer.json()["accepted"] == 1
    assert "nv_viewer=" in answer.headers["set-cookie"]
    assert await stored(nv_run_jobs, nv_client) == 1
    bad = await post_form(nv_client, "/privacy/consent", {"choice": "maybe"})
    assert bad.status_code == 400
    assert "Choose accept or decline." in bad.text


@pytest.mark.parametrize("nv_settings", [{"consent_banner": True}], indirect=True)
async def test_members_are_not_asked_by_the_banner(
    nv_client: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    owner = await make_user("ada")
    video = await ready_video(owner)
    await login(nv_client, "ada")
    assert 'id="nv-consent"' not in (await nv_client.get("/")).text
    headers = {"x-csrftoken": await csrf_token(nv_client)}
    answer = await nv_client.post(
        "/api/events",
        content=batch(video, "event-m1"),
        headers={"content-type": "application/json", **headers},
    )
    assert answer.json()["accepted"] == 1
    assert await stored(nv_run_jobs, nv_client) == 1


async def test_without_the_setting_there_is_no_banner(nv_client: Any) -> None:
    assert 'id="nv-consent"' not in (await nv_client.get("/")).text
