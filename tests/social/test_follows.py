"""Follows: the API in both shapes of sign-in, the profile's follow button, and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.social import follows, services
from nichevid.social.tables import Follow, Notification

from .conftest import browser, signed_in

HOW = ["bearer", "session"]


@pytest.mark.parametrize("how", HOW)
async def test_follow_and_unfollow_through_the_api(
    nv_client: Any, make_user: Any, how: str
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    headers = await signed_in(nv_client, bob, how)
    for _ in range(2):
        response = await nv_client.put("/api/users/ada/follow", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "username": "ada",
            "followers": 1,
            "following": 0,
            "likes": 0,
            "followed": True,
        }
    assert await Follow.count() == 1
    counts = await nv_client.get("/api/users/bob/social", headers=headers)
    assert (counts.json()["following"], counts.json()["followed"]) == (1, False)
    for _ in range(2):
        response = await nv_client.delete("/api/users/ADA/follow", headers=headers)
        assert response.status_code == 200
        assert (response.json()["followers"], response.json()["followed"]) == (0, False)
    assert await Follow.count() == 0
    notes = await Notification.select(Notification.kind, Notification.recipient)
    assert notes == [{"kind": "follow", "recipient": ada.id}]


@pytest.mark.parametrize("how", HOW)
async def test_following_yourself_is_refused(nv_client: Any, make_user: Any, how: str) -> None:
    await make_user("bob")
    bob = await services.member("bob")
    headers = await signed_in(nv_client, bob, how)
    for method in ("PUT", "DELETE"):
        response = await nv_client.request(method, "/api/users/bob/follow", headers=headers)
        assert response.status_code == 400
        assert response.json()["detail"] == follows.self_follow()
    fragment = await nv_client.put(
        "/social/users/bob/follow", headers=await browser(nv_client, bob)
    )
    assert fragment.status_code == 400
    assert await Follow.count() == 0


@pytest.mark.parametrize("name", ["nobody_here", "x" * 200])
async def test_following_someone_who_does_not_exist_is_not_found(
    nv_client: Any, make_user: Any, name: str
) -> None:
    headers = await signed_in(nv_client, await make_user("bob"), "bearer")
    response = await nv_client.put(f"/api/users/{name}/follow", headers=headers)
    assert response.status_code == 404
    assert "There is no member called" in response.json()["detail"]
    assert (await nv_client.get(f"/api/users/{name}/social")).status_code == 404


async def test_deactivated_members_cannot_be_followed(nv_client: Any, make_user: Any) -> None:
    from nichevid.accounts.tables import User

    await make_user("gone")
    await User.update({User.is_active: False}).where(User.username == "gone")
    headers = await signed_in(nv_client, await make_user("bob"), "bearer")
    assert (await nv_client.put("/api/users/gone/follow", headers=headers)).status_code == 404


async def test_follow_needs_sign_in_and_csrf(nv_client: Any, make_user: Any) -> None:
    await make_user("ada")
    bob = await make_user("bob")
    anonymous = await nv_client.put(
        "/api/users/ada/follow", headers={"Authorization": "Bearer not-a-token"}
    )
    assert anonymous.status_code == 401
    headers = await browser(nv_client, bob)
    headers.pop("x-csrftoken")
    assert (await nv_client.put("/social/users/ada/follow", headers=headers)).status_code == 403
    assert (await nv_client.put("/api/users/ada/follow", headers=headers)).status_code == 403
    assert await Follow.count() == 0


async def test_profile_shows_counts_and_a_follow_button_that_swaps_in_place(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada", role="creator")
    bob = await make_user("bob")
    video = await make_video(ada)
    await services.set_like(bob, video, True)
    await services.set_follow(ada, bob, True)
    headers = await browser(nv_client, bob)

    page = await nv_client.get("/u/ada")
    assert page.status_code == 200
    html = page.text
    assert "<strong>1</strong> Following" in html
    assert "<strong>0</strong> Followers" in html
    assert "<strong>1</strong> Like" in html
    assert 'hx-put="/social/users/ada/follow"' in html
    assert "<!--nv-social" not in html

    followed = await nv_client.put("/social/users/ada/follow", headers=headers)
    assert followed.status_code == 200
    assert "<html" not in followed.text
    assert 'id="nv-profile-stats"' in followed.text
    assert "<strong>1</strong> Follower" in followed.text
    assert 'aria-pressed="true"' in followed.text
    assert 'hx-delete="/social/users/ada/follow"' in followed.text
    assert ">Following</button>" in followed.text

    unfollowed = await nv_client.delete("/social/users/ada/follow", headers=headers)
    assert "<strong>0</strong> Followers" in unfollowed.text
    assert ">Follow</button>" in unfollowed.text


async def test_own_profile_has_no_follow_button_and_visitors_are_sent_to_login(
    nv_client: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    visitor = await nv_client.get("/u/ada")
    assert '<input type="hidden" name="next" value="/u/ada">' in visitor.text
    assert "hx-put" not in visitor.text
    await browser(nv_client, ada)
    own = await nv_client.get("/u/ada")
    assert "nv-follow" not in own.text
    assert "<strong>0</strong> Followers" in own.text
