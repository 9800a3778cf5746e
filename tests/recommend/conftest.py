"""Videos in hashtag groups and helpers to send watch events and read For You batches."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

from nichevid.media.tables import Video
from nichevid.testing.factories import ready_video

PASSWORD = "correct horse battery"
SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "http://127.0.0.1:8000"}
CARD = re.compile(r'<article class="nv-card[^"]*" id="v-([^"]+)"')
CURSOR = re.compile(r'hx-get="/feed/next\?cursor=([^"]+)"')


def slugs(html: str) -> list[str]:
    return CARD.findall(html)


def cursor_of(html: str) -> str | None:
    found = CURSOR.search(html)
    return found.group(1) if found else None


@pytest.fixture
def make_member(nv_resources: Any) -> Any:
    from nichevid.accounts import services

    async def make(username: str, role: str = "member") -> Any:
        found = await services.get_user_by_username(username)
        if found is not None:
            return found
        return await services.create_user(
            nv_resources.settings,
            nv_resources.pm,
            username=username,
            email=f"{username}@example.com",
            password=PASSWORD,
            role=role,
        )

    return make


@pytest.fixture
def tagged(make_member: Any) -> Any:
    """``await tagged({"climb": 12, "knit": 12})``: {tag: [videos]}, one creator per video."""

    async def make(groups: dict[str, int], duration_ms: int = 20_000) -> dict[str, list[Video]]:
        made: dict[str, list[Video]] = {}
        for tag, count in groups.items():
            for index in range(count):
                owner = await make_member(f"{tag}{index}", role="creator")
                video = await ready_video(
                    owner, caption=f"#{tag} {index}", hashtags=[tag], duration_ms=duration_ms
                )
                made.setdefault(tag, []).append(video)
        return made

    return make


def watched(video: Video, *, loved: bool) -> dict[str, Any]:
    """An event: watched to the end (loved) or skipped after half a second."""
    return {
        "id": secrets.token_hex(8),
        "video": video.slug,
        "watched_ms": video.duration_ms if loved else 500,
        "completed": loved,
        "skipped": not loved,
        "feed": "foryou",
    }


async def send(client: Any, events: list[dict[str, Any]]) -> Any:
    response = await client.post("/api/events", json={"events": events}, headers=SAME_ORIGIN)
    assert response.status_code == 202, response.text
    return response


async def sign_in(client: Any, username: str) -> None:
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD},
        headers={"x-csrftoken": client.cookies.get("nv_csrf", "")},
    )
    assert response.status_code in (200, 302, 303), response.text
    assert "nv_session" in client.cookies
