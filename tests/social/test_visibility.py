"""Who may watch what: ``media.services.may_view`` with the social package answering
the ``may_view_video`` hook for followers, and the video API and media URLs following it."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.media import services as media
from nichevid.plugins import hookimpl
from nichevid.social import services

from .conftest import bearer

VIEWERS = ("anonymous", "owner", "follower", "stranger")
# (status, visibility) -> the viewers who may watch.
MATRIX = {
    ("ready", "public"): {"anonymous", "owner", "follower", "stranger"},
    ("ready", "followers"): {"owner", "follower"},
    ("ready", "subscribers"): {"owner"},  # until a subscriptions plugin answers
    ("ready", "private"): {"owner"},
    ("processing", "public"): {"owner"},
    ("processing", "followers"): {"owner"},
    ("failed", "public"): {"owner"},
    ("removed", "followers"): {"owner"},
}


@pytest.fixture
async def cast(make_user: Any) -> dict[str, Any]:
    owner = await make_user("owner", role="creator")
    follower = await make_user("follower")
    await services.set_follow(follower, owner, True)
    return {
        "anonymous": None,
        "owner": owner,
        "follower": follower,
        "stranger": await make_user("stranger"),
    }


@pytest.mark.parametrize(("status", "visibility"), sorted(MATRIX))
async def test_visibility_matrix(
    nv_resources: Any, cast: dict[str, Any], make_video: Any, status: str, visibility: str
) -> None:
    video = await make_video(cast["owner"], status=status, visibility=visibility)
    allowed = {who for who in VIEWERS if await media.may_view(nv_resources, video, cast[who])}
    assert allowed == MATRIX[(status, visibility)]


async def test_unfollowing_closes_followers_videos(
    nv_resources: Any, cast: dict[str, Any], make_video: Any
) -> None:
    video = await make_video(cast["owner"], visibility="followers")
    assert await media.may_view(nv_resources, video, cast["follower"])
    await services.set_follow(cast["follower"], cast["owner"], False)
    assert not await media.may_view(nv_resources, video, cast["follower"])


async def test_media_urls_of_followers_videos_are_signed_for_followers_only(
    nv_resources: Any, cast: dict[str, Any], make_video: Any
) -> None:
    video = await make_video(cast["owner"], visibility="followers")
    key = f"videos/{video.slug}/360p.mp4"
    url = await media.media_url(nv_resources, video, key, cast["follower"])
    assert url.startswith(f"/media/{key}?")
    assert "sig" in url.split("?", 1)[1]
    with pytest.raises(PermissionError):
        await media.media_url(nv_resources, video, key, cast["stranger"])


async def test_the_video_api_follows_the_rules(
    nv_client: Any, cast: dict[str, Any], make_video: Any
) -> None:
    video = await make_video(cast["owner"], visibility="followers")
    fan = await nv_client.get(f"/api/videos/{video.slug}", headers=await bearer(cast["follower"]))
    assert fan.status_code == 200, fan.text
    other = await nv_client.get(f"/api/videos/{video.slug}", headers=await bearer(cast["stranger"]))
    assert other.status_code == 404
    # Followers may like it too; strangers get the same "not found" as for no video.
    url = f"/api/videos/{video.slug}/like"
    assert (await nv_client.put(url, headers=await bearer(cast["follower"]))).status_code == 200
    assert (await nv_client.put(url, headers=await bearer(cast["stranger"]))).status_code == 404


async def test_hook_may_view_video(
    nv_resources: Any, cast: dict[str, Any], make_video: Any
) -> None:
    asked: list[tuple[str, str | None]] = []

    class Subscriptions:
        """Lets the stranger see subscribers-only videos, as a paying subscriber."""

        @hookimpl
        async def may_view_video(self, video: Any, viewer: Any) -> bool | None:
            asked.append((video.visibility, viewer.username if viewer else None))
            if video.visibility == "subscribers" and viewer is not None:
                return viewer.username == "stranger"
            return None

    nv_resources.pm.register(Subscriptions())
    paid = await make_video(cast["owner"], visibility="subscribers")
    assert await media.may_view(nv_resources, paid, cast["stranger"])
    assert not await media.may_view(nv_resources, paid, cast["follower"])
    assert not await media.may_view(nv_resources, paid, None)
    # Owners, public videos, private ones and unfinished ones are decided without plugins.
    for fields in (
        {},
        {"visibility": "private"},
        {"status": "processing", "visibility": "subscribers"},
    ):
        video = await make_video(cast["owner"], **fields)
        await media.may_view(nv_resources, video, cast["stranger"])
    await media.may_view(nv_resources, paid, cast["owner"])
    assert asked == [
        ("subscribers", "stranger"),
        ("subscribers", "follower"),
        ("subscribers", None),
    ]
    # The social package still answers for followers-only videos behind the plugin.
    followers_only = await make_video(cast["owner"], visibility="followers")
    assert await media.may_view(nv_resources, followers_only, cast["follower"])
    assert not await media.may_view(nv_resources, followers_only, cast["stranger"])


async def test_hook_may_view_videos(
    nv_client: Any, nv_resources: Any, cast: dict[str, Any], make_video: Any
) -> None:
    from nichevid.media import gates
    from tests.accounts.conftest import login

    asked: list[list[int]] = []

    class Subscriptions:
        """Answers for a page of subscribers-only videos at once: the follower subscribes."""

        @hookimpl
        async def may_view_videos(self, videos: list[Any], viewer: Any) -> dict[int, bool]:
            asked.append(sorted(video.id for video in videos))
            return {
                video.id: viewer is not None and viewer.username == "follower"
                for video in videos
                if video.visibility == "subscribers"
            }

    nv_resources.pm.register(Subscriptions())
    paid = [await make_video(cast["owner"], visibility="subscribers") for _ in range(2)]
    fans = await make_video(cast["owner"], visibility="followers")
    own = await make_video(cast["follower"], visibility="subscribers")
    everything = [*paid, fans, own]
    allowed = await gates.viewable_ids(nv_resources, everything, cast["follower"])
    assert allowed == {paid[0].id, paid[1].id, fans.id, own.id}
    # One call for the page, without the viewer's own video; the followers-only video the
    # plugin leaves out is answered by the social package (its own ``may_view_videos``).
    assert asked == [sorted([paid[0].id, paid[1].id, fans.id])]
    assert await gates.viewable_ids(nv_resources, everything, cast["stranger"]) == set()
    # The Following feed lists what the plugin admits, with media signed for the viewer.
    await login(nv_client, "follower")
    page = (await nv_client.get("/following", headers={"accept": "text/html"})).text
    for video in (*paid, fans):
        assert f"/media/videos/{video.slug}/360p.mp4?exp=" in page
