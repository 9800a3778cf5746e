"""The playlists API: making, filling, ordering and deleting with a token; bad input."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.accounts.tokens import create_token
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.testing.factories import ready_video


async def bearer(user: Any) -> dict[str, str]:
    plain, _ = await create_token(user, "playlist tests")
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any) -> dict[str, Any]:
    owner = await make_user("maker", role="creator")
    fan = await make_user("fan")
    return {
        "owner": owner,
        "auth": await bearer(owner),
        "fan": await bearer(fan),
        "videos": [await ready_video(owner, caption=f"step {n}") for n in range(3)],
        "draft": await ready_video(owner, status="processing"),
    }


async def test_a_creator_builds_a_playlist_through_the_api(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    auth, (a, b, c) = scene["auth"], (v.slug for v in scene["videos"])
    made = await nv_client.post("/api/playlists", json={"title": "Steps"}, headers=auth)
    assert made.status_code == 201, made.text
    url = made.headers["location"]
    assert made.json()["video_ids"] == []
    for slug in (a, b, c, a, scene["draft"].slug):
        response = await nv_client.put(f"{url}/videos/{slug}", headers=auth)
        assert response.status_code == 200, response.text
    # The owner sees the video still processing; others do not.
    assert response.json()["video_ids"] == [a, b, c, scene["draft"].slug]
    assert (await nv_client.get(url)).json()["video_ids"] == [a, b, c]
    order = [c, scene["draft"].slug, a, b]
    response = await nv_client.put(f"{url}/order", json={"video_ids": order}, headers=auth)
    assert response.json()["video_ids"] == order
    response = await nv_client.delete(f"{url}/videos/{a}", headers=auth)
    assert response.json()["video_ids"] == [c, scene["draft"].slug, b]
    response = await nv_client.patch(url, json={"description": "in order"}, headers=auth)
    assert (response.json()["title"], response.json()["description"]) == ("Steps", "in order")
    assert (await nv_client.delete(url, headers=auth)).status_code == 204
    assert await Playlist.count() == 0
    assert await PlaylistItem.count() == 0


async def test_bad_requests_are_refused_and_change_nothing(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    auth = scene["auth"]
    a, b, _ = (v.slug for v in scene["videos"])
    made = await nv_client.post("/api/playlists", json={"title": "Steps"}, headers=auth)
    url = made.headers["location"]
    await nv_client.put(f"{url}/videos/{a}", headers=auth)
    await nv_client.put(f"{url}/videos/{b}", headers=auth)
    cases: list[tuple[str, str, Any, dict[str, str], int, str]] = [
        ("post", "/api/playlists", {"title": ""}, auth, 400, "Give the playlist a title"),
        ("post", "/api/playlists", {"title": "x", "colour": "red"}, auth, 400, "colour"),
        ("post", "/api/playlists", {"title": "mine"}, scene["fan"], 403, "Only creators"),
        ("patch", url, {"title": "x" * 81}, auth, 400, "at most 80"),
        ("patch", url, {"title": "taken"}, scene["fan"], 404, "no such playlist"),
        ("put", f"{url}/order", {"video_ids": [a]}, auth, 400, "every video"),
        ("put", f"{url}/order", {"video_ids": [a, a]}, auth, 400, "every video"),
        ("put", f"{url}/order", {"video_ids": [b, a, "zzz"]}, auth, 400, "every video"),
        ("put", f"{url}/videos/nope", None, auth, 404, "No such video"),
        ("delete", f"{url}/videos/{scene['draft'].slug}", None, auth, 404, "not in the"),
        ("delete", "/api/playlists/987654", None, auth, 404, "no such playlist"),
        ("delete", url, None, scene["fan"], 404, "no such playlist"),
        ("delete", url, None, {"Authorization": "Bearer nv_wrong"}, 401, "Bearer"),
    ]
    for method, target, body, headers, status, says in cases:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        response = await nv_client.request(method.upper(), target, **kwargs)
        assert response.status_code == status, (method, target, response.text)
        assert says in response.text, (method, target, response.text)
    document = (await nv_client.get(url, headers=auth)).json()
    assert (document["title"], document["video_ids"]) == ("Steps", [a, b])
    assert await Playlist.count() == 1
