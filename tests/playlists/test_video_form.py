"""The playlist of a video, chosen on the upload form and the edit form."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.accounts.tokens import create_token
from nichevid.media.tables import Upload, Video
from nichevid.playlists import services
from nichevid.playlists.tables import PlaylistItem
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import login, post_form
from tests.media.test_tus import metadata

HTML = {"accept": "text/html"}


async def upload(client: Any, user: Any, **meta: str) -> Any:
    """A tus upload of a few bytes, complete at once, as ``user``."""
    plain, _ = await create_token(user, "uploads")
    headers = {
        "Tus-Resumable": "1.0.0",
        "Authorization": f"Bearer {plain}",
        "Upload-Length": "18",
        "Upload-Metadata": metadata(filename="clip.mp4", **meta),
        "Content-Type": "application/offset+octet-stream",
    }
    return await client.post("/uploads/", headers=headers, content=b"not really a video")


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any) -> dict[str, Any]:
    maker = await make_user("maker", role="creator")
    rival = await make_user("rival", role="creator")
    return {
        "maker": maker,
        "rival": rival,
        "basics": await services.create_playlist(maker, "Basics <b>"),
        "advanced": await services.create_playlist(maker, "Advanced"),
        "theirs": await services.create_playlist(rival, "Theirs"),
    }


async def placed(video_id: int) -> list[tuple[int, int]]:
    rows = await PlaylistItem.select(PlaylistItem.playlist, PlaylistItem.position).where(
        PlaylistItem.video == video_id
    )
    return [(row["playlist"], row["position"]) for row in rows]


async def test_the_upload_form_offers_the_creators_playlists(
    nv_client: Any, scene: dict[str, Any], make_user: Any
) -> None:
    await login(nv_client, "maker")
    page = (await nv_client.get("/upload", headers=HTML)).text
    assert 'name="playlists_playlist"' in page
    assert '<option value="" selected>None</option>' in page
    assert f'<option value="{scene["basics"].id}">Basics &lt;b&gt;</option>' in page
    assert "Theirs" not in page
    await make_user("fresh", role="creator")
    await login(nv_client, "fresh")
    assert 'name="playlists_playlist"' not in (await nv_client.get("/upload", headers=HTML)).text


async def test_an_upload_joins_the_playlist_it_was_sent_with(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    first = await ready_video(scene["maker"], caption="first")
    await services.add_video(scene["maker"], int(scene["basics"].id), first.slug)
    sent = await upload(
        nv_client, scene["maker"], caption="second", playlists_playlist=str(scene["basics"].id)
    )
    assert sent.status_code == 201, sent.text
    video = await Video.objects().where(Video.caption == "second").first()
    assert video is not None
    assert await placed(int(video.id)) == [(scene["basics"].id, 2)]
    for bad in (str(scene["theirs"].id), "abc", "987654"):
        refused = await upload(nv_client, scene["maker"], caption="x", playlists_playlist=bad)
        assert refused.status_code == 400, refused.text
        assert "Choose one of your playlists" in refused.text
    assert await Upload.count() == 1


async def test_the_edit_form_moves_the_video_between_playlists(
    nv_client: Any, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    maker, basics, advanced = scene["maker"], scene["basics"], scene["advanced"]
    one, two = [await ready_video(maker, caption=c) for c in ("one", "two")]
    for video in (one, two):
        await services.add_video(maker, int(basics.id), video.slug)
    await login(nv_client, "maker")
    url = f"/upload/edit/{one.slug}"
    page = (await nv_client.get(url, headers=HTML)).text
    assert f'<option value="{basics.id}" selected>' in page
    fields = {"caption": "one", "visibility": "public"}
    moved = await post_form(nv_client, url, {**fields, "playlists_playlist": str(advanced.id)})
    assert moved.status_code == 303, moved.text
    assert await placed(int(one.id)) == [(advanced.id, 1)]
    # The video after it moved up.
    assert await placed(int(two.id)) == [(basics.id, 1)]
    # A full playlist, or another creator's, is refused and nothing moves.
    monkeypatch.setattr(services, "VIDEOS_PER_PLAYLIST", 1)
    refused = await post_form(nv_client, url, {**fields, "playlists_playlist": str(basics.id)})
    assert refused.status_code == 400
    assert "at most 1 videos" in refused.text
    assert f'<option value="{basics.id}" selected>' in refused.text
    theirs = await post_form(
        nv_client, url, {**fields, "playlists_playlist": str(scene["theirs"].id)}
    )
    assert theirs.status_code == 400
    assert await placed(int(one.id)) == [(advanced.id, 1)]
    # Saving without the field leaves it; choosing none takes it out.
    assert (await post_form(nv_client, url, fields)).status_code == 303
    assert await placed(int(one.id)) == [(advanced.id, 1)]
    none = await post_form(nv_client, url, {**fields, "playlists_playlist": ""})
    assert none.status_code == 303
    assert await placed(int(one.id)) == []
