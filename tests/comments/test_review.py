"""Holding videos for review: the ``review_video`` gate and the review states service."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.media import progress
from nichevid.media.review import ReviewError, set_review_status
from nichevid.media.tables import Video
from nichevid.media.transcode import Plan
from nichevid.plugins import hookimpl


class HoldCats:
    """Holds videos whose caption mentions cats; remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.ready: list[str] = []

    @hookimpl
    async def review_video(self, video: Any, resources: Any) -> str | None:
        assert resources.storage is not None
        self.asked.append(video.slug)
        return "cats need a look" if "cat" in video.caption else None

    @hookimpl
    def video_ready(self, video: Any) -> None:
        self.ready.append(video.slug)


async def _first_rendition(resources: Any, make_video: Any, owner: Any, caption: str) -> Video:
    video = await make_video(owner, caption, status="processing", published_at=None)
    plan = Plan("remux", 360, 640)
    await progress.store_rendition(
        video,
        plan,
        f"videos/{video.slug}/360p.mp4",
        1000,
        pm=resources.pm,
        resources=resources,
    )
    return await Video.objects().get(Video.id == video.id)


async def test_hook_review_video(nv_resources: Any, make_user: Any, make_video: Any) -> None:
    gate = HoldCats()
    nv_resources.pm.register(gate)
    ada = await make_user("ada", role="creator")
    held = await _first_rendition(nv_resources, make_video, ada, "my cat")
    shown = await _first_rendition(nv_resources, make_video, ada, "my dog")
    assert (held.status, held.published_at) == ("held", None)
    assert shown.status == "ready"
    assert shown.published_at is not None
    assert gate.ready == [shown.slug]
    # A second rendition of the held video asks nobody and publishes nothing.
    await progress.store_rendition(
        held, Plan("transcode", 720, 1280), f"videos/{held.slug}/720p.mp4", 2000, pm=nv_resources.pm
    )
    assert gate.asked == [held.slug, shown.slug]
    assert (await Video.objects().get(Video.id == held.id)).status == "held"
    # Released: published now, and video_ready fires once.
    released = await set_review_status(nv_resources.pm, held, "ready")
    assert released.status == "ready"
    assert released.published_at is not None
    assert gate.ready == [shown.slug, held.slug]


async def test_review_status_takes_down_and_restores(
    nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ready: list[str] = []

    class Listener:
        @hookimpl
        def video_ready(self, video: Any) -> None:
            ready.append(video.slug)

    nv_resources.pm.register(Listener())
    ada = await make_user("ada", role="creator")
    video = await make_video(ada)
    assert (await set_review_status(nv_resources.pm, video.id, "removed")).status == "removed"
    assert (await set_review_status(nv_resources.pm, video.id, "ready")).status == "ready"
    assert ready == []  # it was published before: no second announcement


async def test_review_status_refuses_what_it_cannot_do(
    nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    video = await make_video(ada, status="processing")
    with pytest.raises(ReviewError, match="wait until it is processed"):
        await set_review_status(nv_resources.pm, video, "removed")
    with pytest.raises(ReviewError, match="Unknown status 'gone'"):
        await set_review_status(nv_resources.pm, video, "gone")
    with pytest.raises(ReviewError, match="no such video"):
        await set_review_status(nv_resources.pm, 999999, "ready")
    bare = await make_video(ada, status="held")
    from nichevid.media.tables import Rendition

    await Rendition.delete().where(Rendition.video == bare.id)
    with pytest.raises(ReviewError, match="no playable rendition"):
        await set_review_status(nv_resources.pm, bare, "ready")
    assert (await Video.objects().get(Video.id == bare.id)).status == "held"
