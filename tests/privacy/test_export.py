"""Data export: the zip holds everything, one job per member, links only for their owner."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.comments.tables import Comment
from nichevid.media.tables import Video
from nichevid.privacy import exports
from nichevid.privacy.tables import DataExport

from .conftest import PASSWORD, csrf_token, live, login, post_form

LINK = re.compile(r'href="(/settings/privacy/export/download\?exp=\d+&amp;sig=[0-9a-f]+)"')


def link_of(html: str) -> str:
    match = LINK.search(html)
    assert match is not None, "no download link on the page"
    return match.group(1).replace("&amp;", "&")


async def export_through_the_page(client: Any, run_jobs: Any) -> str:
    response = await post_form(client, "/settings/privacy/export", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/privacy?notice=queued"
    await run_jobs()
    return link_of((await client.get("/settings/privacy")).text)


async def test_the_export_zip_holds_every_part_of_the_members_data(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    life = await live(nv_resources, ada, bob)
    await login(nv_client, "ada")
    url = await export_through_the_page(nv_client, nv_run_jobs)
    response = await nv_client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    mine = life.videos[0]
    for name in (
        "profile.json",
        "profile/avatar.webp",
        "videos.json",
        f"videos/{mine.slug}.mp4",
        "captions.json",
        f"captions/{mine.slug}.en.vtt",
        "comments.json",
        "likes.json",
        "comment_likes.json",
        "playlists.json",
        "bookmarks.json",
        "shares.json",
        "follows.json",
        "notifications.json",
        "watch_history.json",
        "manifest.json",
    ):
        assert name in names, f"{name} missing from {sorted(names)}"

    def read(name: str) -> Any:
        return json.loads(archive.read(name))

    profile = read("profile.json")
    assert (profile["username"], profile["email"]) == ("ada", "ada@example.org")
    assert "password_hash" not in profile
    assert "argon2" not in json.dumps(profile)
    assert profile["two_factor"] == {"on": False, "on_since": None, "recovery_codes_left": 0}
    assert archive.read(f"videos/{mine.slug}.mp4") == b"source of " + mine.slug.encode()
    assert archive.read(f"captions/{mine.slug}.en.vtt").startswith(b"WEBVTT")
    assert {v["slug"] for v in read("videos.json")} == {v.slug for v in life.videos}
    assert sorted(c["text"] for c in read("comments.json")) == ["my own thread", "nice one"]
    assert len(read("likes.json")) == len(read("bookmarks.json")) == len(read("shares.json")) == 1
    [comment_like] = read("comment_likes.json")
    thanks = await Comment.objects().where(Comment.text == "thanks!").first()
    assert thanks is not None
    theirs = await Video.objects().where(Video.id == thanks.video).first()
    assert theirs is not None
    assert (comment_like["comment"], comment_like["video"]) == (thanks.id, theirs.slug)
    assert comment_like["at"]
    [playlist] = read("playlists.json")
    assert (playlist["title"], playlist["videos"]) == ("Cats in order", [mine.slug])
    follows = read("follows.json")
    assert [f["username"] for f in follows["following"]] == ["bob"]
    assert [f["username"] for f in follows["followers"]] == ["bob"]
    history = read("watch_history.json")
    assert len(history) == 1
    assert history[0]["completed"] is True
    assert any(n["from"] == "bob" for n in read("notifications.json"))
    assert read("manifest.json")["problems"] == []
    # The zip lives in storage under the member's export prefix, never under a public one.
    stored = [o.key async for o in nv_resources.storage.list(exports.export_prefix(ada.id))]
    assert len(stored) == 1
    assert stored[0].endswith(".zip")


async def test_asking_twice_while_an_export_runs_starts_one_job(
    nv_client: Any,
    nv_resources: Any,
    nv_run_jobs: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The in-process runner starts jobs at once: this one waits until the test lets it go.
    release = asyncio.Event()
    build = exports.bundle.build

    async def held(*args: Any) -> Any:
        await release.wait()
        return await build(*args)

    monkeypatch.setattr(exports.bundle, "build", held)
    ada = await make_user("ada")
    await login(nv_client, "ada")
    first = await post_form(nv_client, "/settings/privacy/export", {})
    second = await post_form(nv_client, "/settings/privacy/export", {})
    assert first.headers["location"].endswith("notice=queued")
    assert second.headers["location"].endswith("notice=running")
    assert not await exports.request_export(nv_resources, ada)
    page = (await nv_client.get(second.headers["location"])).text
    assert "An export is already being prepared; no second one was started." in page
    assert 'hx-trigger="every 2s"' in page  # the panel polls while the job runs
    info = await nv_resources.jobs.info(exports.export_job_id(ada.id))
    assert info is not None
    assert info.status in ("queued", "running")
    assert await DataExport.count().where(DataExport.user == ada.id) == 1
    release.set()
    await nv_run_jobs()
    assert (await exports.export_state(ada)).status == "ready"
    fragment = (await nv_client.get("/settings/privacy/export/status")).text
    assert "every 2s" not in fragment
    assert "export-download" in fragment
    # Finished: asking again makes a new zip, and the old one is deleted.
    old = (await DataExport.objects().where(DataExport.user == ada.id).first()).storage_key
    assert await exports.request_export(nv_resources, ada)
    await nv_run_jobs()
    new = (await DataExport.objects().where(DataExport.user == ada.id).first()).storage_key
    assert new != old
    assert not await nv_resources.storage.exists(old)
    assert await nv_resources.storage.exists(new)


async def test_someone_elses_tampered_or_expired_link_is_refused(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    await make_user("ada")
    await make_user("bob")
    await login(nv_client, "ada")
    url = await export_through_the_page(nv_client, nv_run_jobs)
    html = {"accept": "text/html"}
    await nv_client.post("/logout", headers={"x-csrftoken": await csrf_token(nv_client)})
    assert (await nv_client.get(url, headers=html)).status_code in (303, 401)
    await login(nv_client, "bob", PASSWORD)
    refused = await nv_client.get(url, headers=html)
    assert refused.status_code == 403
    assert "belongs to another account" in refused.text
    await nv_client.post("/logout", headers={"x-csrftoken": await csrf_token(nv_client)})
    await login(nv_client, "ada")
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert (await nv_client.get(tampered, headers=html)).status_code == 403
    assert (await nv_client.get(url.split("&")[0], headers=html)).status_code == 403
    assert (await nv_client.get(url)).status_code == 200
    # Past its time the link is gone (410), and the cron job deletes the zip.
    past = datetime.now(UTC) - timedelta(minutes=1)
    await DataExport.update({DataExport.expires_at: past}, force=True).run()
    expired = await nv_client.get(url, headers=html)
    assert expired.status_code == 410
    assert "This download link has expired." in expired.text
    key = (await DataExport.objects().first()).storage_key
    assert await exports.expire_exports(nv_resources.job_context()) == 1
    assert not await nv_resources.storage.exists(key)
    page = (await nv_client.get("/settings/privacy")).text
    assert "Your last export has expired." in page


async def test_an_export_whose_job_died_can_be_asked_for_again(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    # A row left "running" by a worker that died after its last try, with no job behind it.
    await DataExport(user=ada.id, status="running").save().run()
    assert await nv_resources.jobs.status(exports.export_job_id(ada.id)) is None
    assert await exports.request_export(nv_resources, ada)
    await nv_run_jobs()
    assert (await exports.export_state(ada)).status == "ready"
