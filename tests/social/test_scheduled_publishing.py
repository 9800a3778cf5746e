"""Scheduled publishing: a processed video waits for its creator's time, unseen, then is
published once; the times a form, the upload metadata or the API may give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.media import progress, schedule
from nichevid.media.review import set_review_status
from nichevid.media.schedule import ScheduleError, parse_publish_at
from nichevid.media.tables import Video
from nichevid.media.transcode import Plan
from nichevid.media.tus.services import UploadError, clean_metadata
from nichevid.plugins import hookimpl

from .conftest import PASSWORD, bearer, browser

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Heard:
    def __init__(self) -> None:
        self.ready: list[str] = []

    @hookimpl
    def video_ready(self, video: Any) -> None:
        self.ready.append(video.slug)


async def _processed(resources: Any, make_video: Any, owner: Any, **fields: Any) -> Video:
    video = await make_video(owner, status="processing", published_at=None, **fields)
    await progress.store_rendition(
        video, Plan("remux", 360, 640), f"videos/{video.slug}/360p.mp4", 1000, pm=resources.pm
    )
    return await Video.objects().get(Video.id == video.id)


def test_publishing_times_that_can_and_cannot_be_used() -> None:
    assert parse_publish_at("", now=NOW) is None
    assert parse_publish_at(None, now=NOW) is None
    assert parse_publish_at("2026-12-24T18:00:00Z", now=NOW) == datetime(
        2026, 12, 24, 18, tzinfo=UTC
    )
    assert parse_publish_at("2026-12-24T18:00+01:00", now=NOW) == datetime(
        2026, 12, 24, 17, tzinfo=UTC
    )
    # A datetime-local value, read at the browser's offset (Madrid in winter: -60).
    assert parse_publish_at("2026-12-24T18:00", "-60", now=NOW) == datetime(
        2026, 12, 24, 17, tzinfo=UTC
    )
    assert parse_publish_at("2026-12-24T18:00", "", now=NOW) == datetime(
        2026, 12, 24, 18, tzinfo=UTC
    )
    for bad, message in (
        ("tomorrow", "for example"),
        ("2026-13-40T99:00", "for example"),
        ("2026-12-24 18:00:00", "for example"),
        ("2026-12-24T18:00", "abc"),
        ("2026-12-24T18:00", "100000"),
        ("2026-12-05T11:59:00Z", "has passed"),
        ("2026-12-05T12:00:00Z", "has passed"),
        ("2028-12-24T18:00:00Z", "a year ahead"),
        ("9999-12-31T23:59:59+14:00", "a year ahead"),
    ):
        offset = message if message in ("abc", "100000") else None
        with pytest.raises(ScheduleError, match="for example" if offset else message):
            parse_publish_at(bad, offset, now=NOW)


def test_upload_metadata_carries_a_checked_time() -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    meta = clean_metadata({"filename": "a.mp4", "publish_at": later.isoformat()})
    assert meta["publish_at"] == later.isoformat()
    assert "publish_at" not in {k for k in meta if k.startswith("subscriptions_")}
    assert clean_metadata({"filename": "a.mp4"})["publish_at"] == ""
    with pytest.raises(UploadError, match="has passed") as refused:
        clean_metadata({"filename": "a.mp4", "publish_at": "2020-01-01T00:00:00Z"})
    assert refused.value.status == 400


async def test_a_scheduled_video_waits_unseen_then_is_published_once(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    heard = Heard()
    nv_resources.pm.register(heard)
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    when = datetime.now(UTC) + timedelta(hours=3)
    video = await _processed(nv_resources, make_video, ada, publish_at=when)
    assert (video.status, video.published_at) == ("scheduled", None)
    assert heard.ready == []
    # Nobody else sees it anywhere: its page, the profile, the hashtag, search, the API.
    headers = await browser(nv_client, bob)
    assert (await nv_client.get(f"/v/{video.slug}", headers=headers)).status_code == 404
    assert video.slug not in (await nv_client.get("/u/ada")).text
    assert video.slug not in (await nv_client.get("/tag/social")).text
    assert video.slug not in (await nv_client.get("/search?q=clip")).text
    assert (await nv_client.get(f"/api/videos/{video.slug}")).status_code == 404
    # Its creator sees when it goes out.
    mine = await nv_client.get(f"/api/videos/{video.slug}", headers=await bearer(ada))
    assert mine.json()["status"] == "scheduled"
    assert mine.json()["publish_at"].startswith(when.isoformat()[:16])

    assert await schedule.publish_due(nv_resources.pm) == 0
    assert await schedule.publish_due(nv_resources.pm, now=when + timedelta(seconds=1)) == 1
    assert await schedule.publish_due(nv_resources.pm, now=when + timedelta(minutes=5)) == 0
    published = await Video.objects().get(Video.id == video.id)
    assert published.status == "ready"
    assert published.published_at is not None
    assert heard.ready == [video.slug]
    assert (await nv_client.get(f"/v/{video.slug}", headers=headers)).status_code == 200


async def test_a_time_in_the_past_or_none_publishes_when_ready(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    late = await _processed(
        nv_resources, make_video, ada, publish_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    plain = await _processed(nv_resources, make_video, ada)
    assert (late.status, plain.status) == ("ready", "ready")


async def test_a_held_video_released_before_its_time_waits_for_it(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    when = datetime.now(UTC) + timedelta(days=1)
    video = await make_video(ada, status="held", published_at=None, publish_at=when)
    released = await set_review_status(nv_resources.pm, video, "ready")
    assert (released.status, released.published_at) == ("scheduled", None)
    removed = await set_review_status(nv_resources.pm, video, "removed")
    assert removed.status == "removed"
    assert (await set_review_status(nv_resources.pm, video, "ready")).status == "scheduled"


async def test_the_creator_moves_or_clears_the_time_and_published_videos_refuse_one(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    heard = Heard()
    nv_resources.pm.register(heard)
    ada = await make_user("ada", role="creator")
    video = await _processed(
        nv_resources, make_video, ada, publish_at=datetime.now(UTC) + timedelta(days=1)
    )
    headers = {**await bearer(ada), "content-type": "application/json"}
    url = f"/api/videos/{video.slug}"
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    moved = await nv_client.patch(url, json={"publish_at": later.isoformat()}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "scheduled"
    assert (await Video.objects().get(Video.id == video.id)).publish_at == later
    for bad in ("soon", "2020-01-01T00:00:00Z"):
        refused = await nv_client.patch(url, json={"publish_at": bad}, headers=headers)
        assert refused.status_code == 400
    assert (await Video.objects().get(Video.id == video.id)).publish_at == later
    now = await nv_client.patch(url, json={"publish_at": ""}, headers=headers)
    assert now.json()["status"] == "ready"
    assert heard.ready == [video.slug]
    again = await nv_client.patch(url, json={"publish_at": later.isoformat()}, headers=headers)
    assert again.status_code == 400
    assert "published already" in again.json()["detail"]
    assert (await nv_client.patch(url, json={"publish_at": ""}, headers=headers)).status_code == 200
    assert heard.ready == [video.slug]


async def test_the_edit_form_sets_the_time_in_the_browsers_time(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    from tests.accounts.conftest import login, post_form

    ada = await make_user("ada", role="creator")
    video = await make_video(ada, status="processing", published_at=None)
    await login(nv_client, "ada", PASSWORD)
    form = await nv_client.get(f"/upload/edit/{video.slug}")
    assert 'name="publish_at" type="datetime-local"' in form.text
    assert "localtime.js" in form.text
    target = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    local = (target + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")  # a browser 2 h ahead
    fields = {"caption": "soon #social", "visibility": "public"}
    saved = await post_form(
        nv_client,
        f"/upload/edit/{video.slug}",
        {**fields, "publish_at": local, "utc_offset": "-120"},
    )
    assert saved.status_code == 303, saved.text
    assert (await Video.objects().get(Video.id == video.id)).publish_at == target
    shown = (await nv_client.get(f"/upload/edit/{video.slug}")).text
    assert f'data-utc="{target.isoformat()}"' in shown
    bad = await post_form(
        nv_client, f"/upload/edit/{video.slug}", {**fields, "publish_at": "2001-01-01T00:00"}
    )
    assert bad.status_code == 400
    assert "has passed" in bad.text
    assert (await Video.objects().get(Video.id == video.id)).publish_at == target
    cleared = await post_form(nv_client, f"/upload/edit/{video.slug}", {**fields, "publish_at": ""})
    assert cleared.status_code == 303
    assert (await Video.objects().get(Video.id == video.id)).publish_at is None
    # Published videos have no time to pick.
    published = await make_video(ada)
    assert 'name="publish_at"' not in (await nv_client.get(f"/upload/edit/{published.slug}")).text


async def test_the_cron_job_publishes_what_is_due(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    due = await make_video(
        ada,
        status="scheduled",
        published_at=None,
        publish_at=datetime.now(UTC) - timedelta(seconds=5),
    )
    waiting = await make_video(
        ada,
        status="scheduled",
        published_at=None,
        publish_at=datetime.now(UTC) + timedelta(hours=1),
    )
    assert await schedule.publish_scheduled(nv_resources.job_context()) == 1
    assert (await Video.objects().get(Video.id == due.id)).status == "ready"
    assert (await Video.objects().get(Video.id == waiting.id)).status == "scheduled"
