"""Factories for the feed tests: ready videos as rows, without encoding anything."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import pytest

from nichevid.media import keys
from nichevid.media.tables import Rendition, Video

PASSWORD = "correct horse battery"


@pytest.fixture
def make_videos(nv_resources: Any) -> Any:
    """``await make_videos(n, username=..., **fields)``: ready videos of one creator."""
    from nichevid.accounts import services

    async def make(count: int, username: str = "maker", **fields: Any) -> list[Video]:
        owner = await services.get_user_by_username(username)
        if owner is None:
            owner = await services.create_user(
                nv_resources.settings,
                nv_resources.pm,
                username=username,
                email=f"{username}@example.com",
                password=PASSWORD,
                role="creator",
            )
        made = []
        for index in range(count):
            slug = secrets.token_urlsafe(8)
            values = {
                "slug": slug,
                "owner": owner.id,
                "caption": f"clip {index} of {username} #test",
                "hashtags": ["test"],
                "status": "ready",
                "visibility": "public",
                "width": 360,
                "height": 640,
                "duration_ms": 3000,
                "poster_key": keys.poster_key(slug),
                "published_at": datetime.now(UTC),
                **fields,
            }
            video = Video(**values)
            await video.save()
            await Rendition(
                video=video.id,
                kind="mp4",
                label="360p",
                width=360,
                height=640,
                storage_key=keys.rendition_key(slug, "360p"),
                size_bytes=1000,
            ).save()
            made.append(video)
        return made

    return make
