"""Factories for the feed tests: ready videos as rows, without encoding anything."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.media.tables import Video
from nichevid.testing.factories import ready_video

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
            values = {"caption": f"clip {index} of {username} #test", "hashtags": ["test"]}
            video = await ready_video(owner, **{**values, **fields})
            made.append(video)
        return made

    return make
