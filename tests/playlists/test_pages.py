"""Playlist pages: the public page, the profile row, the card's part, the studio forms, the API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video
from nichevid.playlists import services
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.safety.blocks import block
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import login, post_form

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any) -> dict[str, Any]:
    """A creator's playlist of three videos (the second private), and a member."""
    owner = await make_user("maker", role="creator")
    videos = [await ready_video(owner, caption=f"step {n}") for n in range(1, 4)]
    playlist = await services.create_playlist(owner, f"Cables {SCRIPT}", "how to cable")
    for video in videos:
        await services.add_video(owner, int(playlist.id), video.slug)
    await Video.update({Video.visibility: "private"}).where(Video.id == videos[1].id)
    return {
        "owner": owner,
        "member": await make_user("fan"),
        "videos": videos,
        "playlist": playlist,
    }


def tiles(html: str) -> list[str]:
    return re.findall(r'class="nv-grid-item" href="/v/([^"]+)"', html)


async def test_the_public_page_lists_what_the_viewer_may_watch(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    one, _two, three = scene["videos"]
    url = f"/u/maker/playlists/{scene['playlist'].id}"
    page = await nv_client.get(url)
    assert page.status_code == 200
    assert tiles(page.text) == [one.slug, three.slug]
    assert SCRIPT not in page.text
    assert "Cables &lt;script&gt;" in page.text
    assert "Part 2" in page.text
    assert "2 videos" in page.text
    assert f'href="/v/{one.slug}">Play from the start' in page.text
    # The wrong member's name, an unknown id, and a block: "not found".
    for wrong in ("/u/fan/playlists/{}", "/u/maker/playlists/987654"):
        response = await nv_client.get(wrong.format(scene["playlist"].id))
        assert response.status_code == 404
        assert "no such playlist" in response.text
    await block(scene["owner"], scene["member"])
    await login(nv_client, "fan")
    assert (await nv_client.get(url)).status_code == 404


async def test_cards_say_which_part_and_lead_to_the_next(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    one, _, three = scene["videos"]
    page = await nv_client.get(f"/v/{one.slug}")
    assert page.status_code == 200
    chip = re.search(r'<a class="nv-card-playlist"[^>]*href="([^"]+)".*?</a>', page.text, re.S)
    assert chip is not None
    assert chip.group(1) == f"/u/maker/playlists/{scene['playlist'].id}"
    assert "Part 1 of 2" in chip.group(0)
    assert SCRIPT not in page.text
    assert f'<a class="nv-button" href="/v/{three.slug}">Next in' in page.text
    last = await nv_client.get(f"/v/{three.slug}")
    assert "Part 2 of 2" in last.text
    assert "Next in" not in last.text


async def test_the_profile_lists_playlists_with_videos_out(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    await services.create_playlist(scene["owner"], "Empty for now")
    page = await nv_client.get("/u/maker")
    assert f'href="/u/maker/playlists/{scene["playlist"].id}"' in page.text
    assert "2 videos" in page.text
    assert "Empty for now" not in page.text
    assert page.text.index("nv-playlists") < page.text.index("nv-grid-section")
    assert "nv-playlists" not in (await nv_client.get("/u/fan")).text


async def test_creators_manage_playlists_in_the_studio(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    owner = scene["owner"]
    extra = await ready_video(owner, caption="bonus")
    await login(nv_client, "maker")
    listing = await nv_client.get("/studio/playlists")
    assert listing.status_code == 200
    assert f'href="/studio/playlists/{scene["playlist"].id}"' in listing.text
    # A refused title keeps what was typed.
    refused = await post_form(
        nv_client, "/studio/playlists", {"title": "", "description": "kept text"}
    )
    assert refused.status_code == 400
    assert "Give the playlist a title" in refused.text
    assert "kept text" in refused.text
    made = await post_form(nv_client, "/studio/playlists", {"title": "Bonus round"})
    assert made.status_code == 303
    new_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    base = f"/studio/playlists/{new_id}"
    edit = await nv_client.get(made.headers["location"])
    assert "The playlist is made" in edit.text
    assert f'<option value="{extra.slug}">' in edit.text
    assert f'<option value="{scene["videos"][0].slug}">' not in edit.text
    assert (await post_form(nv_client, f"{base}/add", {"video": extra.slug})).status_code == 303
    taken = await post_form(nv_client, f"{base}/add", {"video": scene["videos"][0].slug})
    assert taken.status_code == 409
    assert "already in the playlist" in taken.text
    bad_step = await post_form(nv_client, f"{base}/move", {"video": extra.slug, "step": "9"})
    assert bad_step.status_code == 400
    saved = await post_form(nv_client, base, {"title": "Bonus", "description": "extras"})
    assert saved.headers["location"] == f"{base}?done=saved"
    assert (await Playlist.objects().get(Playlist.id == new_id)).title == "Bonus"  # type: ignore[union-attr]
    out = await post_form(nv_client, f"{base}/remove", {"video": extra.slug})
    assert out.status_code == 303
    assert await PlaylistItem.count().where(PlaylistItem.playlist == new_id) == 0
    gone = await post_form(nv_client, f"{base}/delete", {})
    assert gone.headers["location"] == "/studio/playlists?done=deleted"
    assert not await Playlist.exists().where(Playlist.id == new_id)
    # Members have no studio.
    other = f"/studio/playlists/{scene['playlist'].id}"
    await login(nv_client, "fan")
    assert (await nv_client.get(other)).status_code == 403
    assert (await post_form(nv_client, "/studio/playlists", {"title": "x"})).status_code == 403
    assert await Playlist.count() == 1


async def test_the_api_reads_playlists(nv_client: Any, scene: dict[str, Any]) -> None:
    one, _, three = scene["videos"]
    listed = await nv_client.get("/api/users/maker/playlists")
    assert listed.status_code == 200
    [summary] = listed.json()
    assert (summary["title"], summary["videos"]) == (f"Cables {SCRIPT}", 2)
    found = await nv_client.get(f"/api/playlists/{summary['id']}")
    assert found.json()["video_ids"] == [one.slug, three.slug]
    missing = await nv_client.get("/api/playlists/987654")
    assert missing.status_code == 404
    assert "no such playlist" in missing.json()["detail"]
    assert (await nv_client.get("/api/users/nobody/playlists")).status_code == 404


async def test_moderators_delete_any_playlist(
    nv_client: Any, scene: dict[str, Any], make_user: Any
) -> None:
    await make_user("warden", role="moderator")
    await make_user("rival", role="creator")
    url = f"/u/maker/playlists/{scene['playlist'].id}"
    action = f"/studio/playlists/{scene['playlist'].id}/delete"
    await login(nv_client, "rival")
    assert 'id="nv-playlist-moderate"' not in (await nv_client.get(url)).text
    refused = await post_form(nv_client, action, {})
    assert refused.status_code == 404
    # Nor may another creator change it: "not found", and nothing moves.
    slug = scene["videos"][0].slug
    taken = await post_form(nv_client, action.replace("/delete", "/remove"), {"video": slug})
    assert taken.status_code == 404
    assert "no such playlist" in taken.text
    assert await PlaylistItem.count() == 3
    await login(nv_client, "maker")
    page = await nv_client.get(url)
    assert f'href="/studio/playlists/{scene["playlist"].id}">Change this playlist' in page.text
    assert 'id="nv-playlist-moderate"' not in page.text
    await login(nv_client, "warden")
    page = await nv_client.get(url)
    assert f'action="{action}"' in page.text
    done = await post_form(nv_client, action, {})
    assert done.status_code == 303
    assert done.headers["location"] == "/u/maker"
    assert await Playlist.count() == 0
    assert await Video.count() == 3


async def test_the_page_says_where_a_viewer_left_off_and_previews_as_a_link(
    nv_client: Any, scene: dict[str, Any]
) -> None:
    one, _, three = scene["videos"]
    url = f"/u/maker/playlists/{scene['playlist'].id}"
    page = await nv_client.get(url)
    assert '<meta property="og:title" content="Cables &lt;script&gt;' in page.text
    assert f'<meta property="og:url" content="http://127.0.0.1:8000{url}">' in page.text
    assert '<meta property="og:image" content="http' in page.text
    assert "Go on with part" not in page.text
    await login(nv_client, "fan")
    await WatchEvent(viewer=scene["member"].id, video=one.id, watched_ms=2000).save()
    page = await nv_client.get(url)
    assert f'<a class="nv-button" href="/v/{three.slug}">Go on with part 2</a>' in page.text
    assert page.text.count(">Watched<") == 1
    await WatchEvent(viewer=scene["member"].id, video=three.id, watched_ms=2000).save()
    page = await nv_client.get(url)
    assert f'<a class="nv-button" href="/v/{one.slug}">Play from the start' in page.text
    assert page.text.count(">Watched<") == 2
