"""Playlist services: who may make them, what they hold, order, parts, bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nichevid.media.tables import Video
from nichevid.playlists import reading, services
from nichevid.playlists.services import PlaylistError
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.testing.factories import ready_video


@pytest.fixture
async def scene(nv_resources: Any, make_user: Any) -> dict[str, Any]:
    """A creator with four videos, another creator, and a member."""
    owner = await make_user("maker", role="creator")
    return {
        "owner": owner,
        "other": await make_user("rival", role="creator"),
        "member": await make_user("fan"),
        "videos": [await ready_video(owner, caption=f"part {n}") for n in range(1, 5)],
    }


async def order(playlist_id: int) -> list[int]:
    rows = (
        await PlaylistItem.select(PlaylistItem.video)
        .where(PlaylistItem.playlist == playlist_id)
        .order_by(PlaylistItem.position)
    )
    return [row["video"] for row in rows]


async def filled(scene: dict[str, Any], count: int = 4) -> Playlist:
    playlist = await services.create_playlist(scene["owner"], "  Knitting   101 ", " basics ")
    for video in scene["videos"][:count]:
        await services.add_video(scene["owner"], int(playlist.id), video.slug)
    return playlist


async def test_a_playlist_keeps_its_videos_in_order(scene: dict[str, Any]) -> None:
    playlist = await filled(scene)
    assert (playlist.title, playlist.description) == ("Knitting 101", "basics")
    a, b, c, d = (v.id for v in scene["videos"])
    assert await order(playlist.id) == [a, b, c, d]
    slug = scene["videos"][2].slug
    await services.move_video(scene["owner"], playlist.id, slug, -1)
    assert await order(playlist.id) == [a, c, b, d]
    await services.move_video(scene["owner"], playlist.id, scene["videos"][0].slug, -1)
    await services.move_video(scene["owner"], playlist.id, scene["videos"][3].slug, 1)
    assert await order(playlist.id) == [a, c, b, d]
    await services.remove_video(scene["owner"], playlist.id, scene["videos"][2].slug)
    assert await order(playlist.id) == [a, b, d]
    positions = await PlaylistItem.select(PlaylistItem.position).order_by(PlaylistItem.position)
    assert [row["position"] for row in positions] == [1, 2, 3]
    # Deleting the playlist keeps its videos.
    await services.delete_playlist(scene["owner"], playlist.id)
    assert await PlaylistItem.count() == 0
    assert await Video.count().where(Video.owner == scene["owner"].id) == 4


async def test_parts_count_the_videos_that_are_out(scene: dict[str, Any]) -> None:
    playlist = await filled(scene)
    one, two, three, four = scene["videos"]
    await Video.update({Video.visibility: "private"}).where(Video.id == two.id)
    parts = await reading.parts_of([v.id for v in scene["videos"]])
    assert two.id not in parts
    assert [(parts[v.id].part, parts[v.id].parts) for v in (one, three, four)] == [
        (1, 3),
        (2, 3),
        (3, 3),
    ]
    # "Next" skips the private video and ends at the last part.
    assert parts[one.id].next_slug == three.slug
    assert parts[four.id].next_slug is None
    assert parts[one.id].url == f"/u/maker/playlists/{playlist.id}"
    assert await reading.parts_of([]) == {}


@pytest.mark.parametrize(
    ("title", "description", "says"),
    [
        ("", "", "Give the playlist a title"),
        ("   ", "", "Give the playlist a title"),
        ("x" * 81, "", "at most 80 characters"),
        ("fine", "y" * 501, "at most 500 characters"),
    ],
)
async def test_bad_titles_and_descriptions_are_refused(
    scene: dict[str, Any], title: str, description: str, says: str
) -> None:
    with pytest.raises(PlaylistError, match=says) as err:
        await services.create_playlist(scene["owner"], title, description)
    assert err.value.status == 400
    playlist = await filled(scene, 0)
    with pytest.raises(PlaylistError, match=says):
        await services.edit_playlist(scene["owner"], playlist.id, title, description)
    stored = await Playlist.objects().get(Playlist.id == playlist.id)
    assert stored is not None
    assert stored.title == "Knitting 101"


async def test_refused_changes_change_nothing(
    scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, other = scene["owner"], scene["other"]
    playlist = await filled(scene, 2)
    third = scene["videos"][2]
    theirs = await ready_video(other, caption="not yours")
    removed = await ready_video(owner, status="removed")
    cases: list[tuple[Any, tuple[Any, ...], int, str]] = [
        (services.create_playlist, (scene["member"], "mine"), 403, "Only creators"),
        (services.add_video, (other, playlist.id, third.slug), 404, "no such playlist"),
        (services.add_video, (owner, playlist.id, theirs.slug), 404, "No such video"),
        (services.add_video, (owner, playlist.id, "nope"), 404, "No such video"),
        (services.add_video, (owner, playlist.id, removed.slug), 400, "cannot join"),
        (services.add_video, (owner, playlist.id, scene["videos"][0].slug), 409, "Knitting 101"),
        (services.remove_video, (owner, playlist.id, third.slug), 404, "not in the playlist"),
        (services.move_video, (owner, playlist.id, third.slug, 2), 400, "one place"),
        (services.edit_playlist, (other, playlist.id, "taken", ""), 404, "no such playlist"),
        (services.delete_playlist, (other, playlist.id), 404, "no such playlist"),
        (services.delete_playlist, (owner, 987654), 404, "no such playlist"),
    ]
    for action, args, status, says in cases:
        with pytest.raises(PlaylistError, match=f"(?i){says}") as err:
            await action(*args)
        assert err.value.status == status, (action.__name__, args)
    monkeypatch.setattr(services, "VIDEOS_PER_PLAYLIST", 2)
    with pytest.raises(PlaylistError, match="at most 2 videos") as err:
        await services.add_video(owner, playlist.id, third.slug)
    assert err.value.status == 409
    monkeypatch.setattr(services, "PLAYLISTS_PER_CREATOR", 1)
    with pytest.raises(PlaylistError, match="delete one first") as err:
        await services.create_playlist(owner, "second")
    assert err.value.status == 409
    assert await Playlist.count() == 1
    assert await order(playlist.id) == [v.id for v in scene["videos"][:2]]


async def test_a_video_raced_into_two_playlists_lands_in_one(scene: dict[str, Any]) -> None:
    owner, video = scene["owner"], scene["videos"][0]
    lists = [await services.create_playlist(owner, f"list {n}") for n in range(2)]
    outcomes = await asyncio.gather(
        *(services.add_video(owner, int(lists[n % 2].id), video.slug) for n in range(8)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, PlaylistError)]
    assert len(refused) == 7, outcomes
    assert {o.status for o in refused} == {409}
    assert await PlaylistItem.count().where(PlaylistItem.video == video.id) == 1
