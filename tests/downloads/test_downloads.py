"""Creators let viewers download a video; the download, and everything that refuses one."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.downloads import routes, services
from nichevid.downloads.tables import Downloadable
from nichevid.media import keys
from nichevid.media.tables import Upload, Video
from nichevid.safety.blocks import block
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import login, post_form
from tests.playlists.test_video_form import upload

HTML = {"accept": "text/html"}
SMALL, LARGE = b"small rendition bytes", b"the 720p rendition, the one to send" * 100


async def with_files(resources: Any, video: Any) -> Any:
    """Store the 360p rendition of ``ready_video`` and add a larger 720p one."""
    from nichevid.media.tables import Rendition

    await resources.storage.put_bytes(keys.rendition_key(video.slug, "360p"), SMALL)
    key = keys.rendition_key(video.slug, "720p")
    await resources.storage.put_bytes(key, LARGE)
    await Rendition(
        video=video.id, kind="mp4", label="720p", width=720, height=1280, storage_key=key
    ).save()
    return video


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any) -> dict[str, Any]:
    maker = await make_user("maker", role="creator")
    viewer = await make_user("viewer")
    offered = await with_files(nv_resources, await ready_video(maker, caption="offered"))
    kept = await with_files(nv_resources, await ready_video(maker, caption="kept"))
    await services.OFFERED.mark(int(offered.id), True)
    return {"maker": maker, "viewer": viewer, "offered": offered, "kept": kept}


async def test_a_viewer_downloads_the_largest_file_of_an_offered_video(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    slug = scene["offered"].slug
    page = await nv_client.get(f"/v/{slug}", headers=HTML)
    assert f'href="/v/{slug}/download"' in page.text
    got = await nv_client.get(f"/v/{slug}/download")
    assert got.status_code == 200
    assert got.content == LARGE
    assert got.headers["content-type"] == "video/mp4"
    assert got.headers["content-disposition"] == f'attachment; filename="{slug}.mp4"'
    assert got.headers["content-length"] == str(len(LARGE))
    assert got.headers["cache-control"] == "private, no-store"
    assert "content-encoding" not in got.headers  # MP4 is compressed already


async def test_a_video_not_offered_is_not_downloaded_except_by_its_creator(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    slug = scene["kept"].slug
    page = await nv_client.get(f"/v/{slug}", headers=HTML)
    assert "/download" not in page.text
    refused = await nv_client.get(f"/v/{slug}/download", headers=HTML)
    assert refused.status_code == 403
    assert "does not offer this video for download" in refused.text
    await login(nv_client, "viewer")
    assert (await nv_client.get(f"/v/{slug}/download")).status_code == 403
    await login(nv_client, "maker")
    page = await nv_client.get(f"/v/{slug}", headers=HTML)
    assert f'href="/v/{slug}/download"' in page.text
    own = await nv_client.get(f"/v/{slug}/download")
    assert (own.status_code, own.content) == (200, LARGE)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"visibility": "private"}, 404),
        ({"status": "removed"}, 404),
        ({"status": "processing"}, 404),
        ({"age_restricted": True}, 404),
    ],
)
async def test_what_the_viewer_may_not_watch_is_not_downloaded(
    nv_client: Any, scene: dict[str, Any], change: dict[str, Any], status: int
) -> None:
    video = scene["offered"]
    await Video.update(change).where(Video.id == video.id)
    got = await nv_client.get(f"/v/{video.slug}/download", headers=HTML)
    assert got.status_code == status
    assert LARGE not in got.content


async def test_unknown_slugs_blocks_and_missing_files(
    nv_client: Any, nv_resources: Any, scene: dict[str, Any]
) -> None:
    for slug in ("nope", "x" * 40):
        assert (await nv_client.get(f"/v/{slug}/download", headers=HTML)).status_code == 404
    await block(scene["maker"], scene["viewer"])
    await login(nv_client, "viewer")
    blocked = await nv_client.get(f"/v/{scene['offered'].slug}/download", headers=HTML)
    assert blocked.status_code == 404
    # The creator's own video, still being made: nothing to send yet.
    await login(nv_client, "maker")
    await Video.update({Video.status: "processing"}).where(Video.id == scene["kept"].id)
    early = await nv_client.get(f"/v/{scene['kept'].slug}/download", headers=HTML)
    assert early.status_code == 409
    assert "still being processed" in early.text


async def test_downloads_are_limited_per_hour(
    nv_client: Any, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "PER_HOUR", 2)
    url = f"/v/{scene['offered'].slug}/download"
    assert [(await nv_client.get(url)).status_code for _ in range(2)] == [200, 200]
    refused = await nv_client.get(url, headers=HTML)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "You downloaded 2 videos this hour" in refused.text


async def test_the_edit_form_offers_and_withdraws_a_video(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    video = scene["kept"]
    await login(nv_client, "maker")
    url = f"/upload/edit/{video.slug}"
    page = (await nv_client.get(url, headers=HTML)).text
    assert 'name="downloads_shown"' in page
    assert 'id="downloads_offer" name="downloads_offer" value="1" aria' in page
    fields = {"caption": "kept", "visibility": "public", "downloads_shown": "1"}
    on = await post_form(nv_client, url, {**fields, "downloads_offer": "1"})
    assert on.status_code == 303, on.text
    assert await services.OFFERED.marked(int(video.id))
    assert 'value="1" checked' in (await nv_client.get(url, headers=HTML)).text
    # Saving again changes nothing; a form without the box leaves it; unticked says no.
    assert (await post_form(nv_client, url, {**fields, "downloads_offer": "1"})).status_code == 303
    assert await Downloadable.count().where(Downloadable.video == video.id) == 1
    plain = {"caption": "kept", "visibility": "public"}
    assert (await post_form(nv_client, url, plain)).status_code == 303
    assert await services.OFFERED.marked(int(video.id))
    assert (await post_form(nv_client, url, fields)).status_code == 303
    assert not await services.OFFERED.marked(int(video.id))
    bad = await post_form(nv_client, url, {**fields, "downloads_offer": "maybe"})
    assert bad.status_code == 400
    assert "Say 1 to let viewers download the video, or 0 not to." in bad.text
    assert not await services.OFFERED.marked(int(video.id))


async def test_an_upload_can_be_offered_from_its_metadata(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    sent = await upload(nv_client, scene["maker"], caption="new", downloads_offer="1")
    assert sent.status_code == 201, sent.text
    video = await Video.objects().where(Video.caption == "new").first()
    assert video is not None
    assert await services.OFFERED.marked(int(video.id))
    refused = await upload(nv_client, scene["maker"], caption="bad", downloads_offer="perhaps")
    assert refused.status_code == 400
    assert "Say 1 to let viewers download the video" in refused.text
    assert await Upload.count() == 1


async def test_deleting_a_video_forgets_the_offer(nv_resources: Any, scene: dict[str, Any]) -> None:
    from nichevid.media.services import delete_video

    await delete_video(nv_resources, scene["offered"])
    assert await Downloadable.count() == 0


async def test_scripts_offer_a_video_through_the_api(nv_client: Any, scene: dict[str, Any]) -> None:
    from tests.comments.conftest import bearer

    video, headers = scene["kept"], await bearer(scene["maker"])
    url = f"/api/videos/{video.slug}"
    on = await nv_client.patch(url, json={"downloads_offer": "1"}, headers=headers)
    assert on.status_code == 200, on.text
    assert await services.OFFERED.marked(int(video.id))
    bad = await nv_client.patch(url, json={"downloads_offer": "perhaps"}, headers=headers)
    assert bad.status_code == 400
    assert "Say 1 to let viewers download the video" in bad.text
    caption_only = await nv_client.patch(url, json={"caption": "kept still"}, headers=headers)
    assert caption_only.status_code == 200
    assert await services.OFFERED.marked(int(video.id))
    off = await nv_client.patch(url, json={"downloads_offer": "0"}, headers=headers)
    assert off.status_code == 200
    assert not await services.OFFERED.marked(int(video.id))
