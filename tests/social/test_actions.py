"""Likes, bookmarks and shares: the JSON API (Bearer and session), the htmx buttons,
idempotency, CSRF, and every video that must answer "not found"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nichevid.core.errors import no_video
from nichevid.social import services
from nichevid.social.tables import Like, Notification, Share, VideoStats

from .conftest import browser, signed_in

HOW = ["bearer", "session"]


@pytest.fixture
async def people(make_user: Any, make_video: Any) -> dict[str, Any]:
    """A creator with one ready public video, and a viewer."""
    ada = await make_user("ada", role="creator")
    bob = await make_user("bob")
    return {"ada": ada, "bob": bob, "video": await make_video(ada)}


@pytest.mark.parametrize("how", HOW)
async def test_like_and_unlike_through_the_api(
    nv_client: Any, people: dict[str, Any], how: str
) -> None:
    slug = people["video"].slug
    headers = await signed_in(nv_client, people["bob"], how)
    url = f"/api/videos/{slug}/like"

    first = await nv_client.put(url, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "video_id": slug,
        "likes": 1,
        "bookmarks": 0,
        "shares": 0,
        "liked": True,
        "bookmarked": False,
    }
    again = await nv_client.put(url, headers=headers)
    assert again.json()["likes"] == 1
    assert again.json()["liked"] is True
    assert await Like.count() == 1

    gone = await nv_client.delete(url, headers=headers)
    assert gone.status_code == 200
    assert (gone.json()["likes"], gone.json()["liked"]) == (0, False)
    gone_again = await nv_client.delete(url, headers=headers)
    assert (gone_again.json()["likes"], gone_again.json()["liked"]) == (0, False)
    assert await Like.count() == 0


@pytest.mark.parametrize("how", HOW)
async def test_bookmark_and_unbookmark_through_the_api(
    nv_client: Any, people: dict[str, Any], how: str
) -> None:
    slug = people["video"].slug
    headers = await signed_in(nv_client, people["bob"], how)
    url = f"/api/videos/{slug}/bookmark"
    for _ in range(2):
        response = await nv_client.put(url, headers=headers)
        assert response.status_code == 200
        assert (response.json()["bookmarks"], response.json()["bookmarked"]) == (1, True)
    state = await nv_client.get(f"/api/videos/{slug}/social", headers=headers)
    assert state.json()["bookmarked"] is True
    for _ in range(2):
        response = await nv_client.delete(url, headers=headers)
        assert (response.json()["bookmarks"], response.json()["bookmarked"]) == (0, False)
    # Bookmarks are private: the creator is not told.
    assert await Notification.count() == 0


@pytest.mark.parametrize("how", HOW)
async def test_share_counts_each_time(nv_client: Any, people: dict[str, Any], how: str) -> None:
    slug = people["video"].slug
    headers = await signed_in(nv_client, people["bob"], how)
    for expected in (1, 2):
        response = await nv_client.post(f"/api/videos/{slug}/share", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["shares"] == expected
    assert await Share.count() == 2


async def test_shares_are_rate_limited_per_viewer(
    nv_client: Any, people: dict[str, Any], make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "SHARES_PER_HOUR", 2)
    slug = people["video"].slug
    headers = await signed_in(nv_client, people["bob"], "bearer")
    for _ in range(2):
        assert (await nv_client.post(f"/api/videos/{slug}/share", headers=headers)).is_success
    refused = await nv_client.post(f"/api/videos/{slug}/share", headers=headers)
    assert refused.status_code == 429
    assert "shares count again in" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) > 0
    # Another viewer has their own allowance.
    other = await signed_in(nv_client, await make_user("cyd"), "bearer")
    response = await nv_client.post(f"/api/videos/{slug}/share", headers=other)
    assert response.json()["shares"] == 3


async def test_a_like_notifies_the_creator_once_however_often_it_is_toggled(
    nv_client: Any, people: dict[str, Any], make_user: Any
) -> None:
    slug = people["video"].slug
    headers = await signed_in(nv_client, people["bob"], "bearer")
    for _ in range(3):
        await nv_client.put(f"/api/videos/{slug}/like", headers=headers)
        await nv_client.delete(f"/api/videos/{slug}/like", headers=headers)
    cyd = await signed_in(nv_client, await make_user("cyd"), "bearer")
    await nv_client.put(f"/api/videos/{slug}/like", headers=cyd)
    rows = await Notification.select(Notification.kind, Notification.actor).order_by(
        Notification.id
    )
    assert [(r["kind"], r["actor"]) for r in rows] == [
        ("like", people["bob"].id),
        ("like", (await _user_id("cyd"))),
    ]


async def _user_id(username: str) -> int:
    from nichevid.accounts import services as accounts

    user = await accounts.get_user_by_username(username)
    assert user is not None
    return int(user.id)


async def test_liking_your_own_video_notifies_nobody(
    nv_client: Any, people: dict[str, Any]
) -> None:
    headers = await signed_in(nv_client, people["ada"], "bearer")
    response = await nv_client.put(f"/api/videos/{people['video'].slug}/like", headers=headers)
    assert response.json()["likes"] == 1
    assert await Notification.count() == 0


@pytest.mark.parametrize("action", ["like", "bookmark", "share"])
@pytest.mark.parametrize(
    "case", ["removed", "private", "failed", "processing", "followers", "missing", "too-long"]
)
async def test_hidden_or_missing_videos_answer_not_found(
    nv_client: Any, people: dict[str, Any], make_video: Any, action: str, case: str
) -> None:
    ada = people["ada"]
    fields = {
        "removed": {"status": "removed"},
        "private": {"visibility": "private"},
        "failed": {"status": "failed"},
        "processing": {"status": "processing"},
        # bob does not follow ada
        "followers": {"visibility": "followers"},
    }
    if case == "missing":
        slug = "nosuchvideo"
    elif case == "too-long":
        slug = "x" * 40
    else:
        slug = (await make_video(ada, **fields[case])).slug
    headers = await signed_in(nv_client, people["bob"], "bearer")
    method = "POST" if action == "share" else "PUT"
    response = await nv_client.request(method, f"/api/videos/{slug}/{action}", headers=headers)
    assert response.status_code == 404
    assert response.json()["detail"] == no_video()
    fragment = await browser(nv_client, people["bob"])
    answer = await nv_client.request(method, f"/social/videos/{slug}/{action}", headers=fragment)
    assert answer.status_code == 404
    assert await VideoStats.count() == 0
    assert await Notification.count() == 0


async def test_the_api_needs_a_signed_in_caller(nv_client: Any, people: dict[str, Any]) -> None:
    slug = people["video"].slug
    for method, action in (("PUT", "like"), ("PUT", "bookmark"), ("POST", "share")):
        response = await nv_client.request(
            method, f"/api/videos/{slug}/{action}", headers={"Authorization": "Bearer not-a-token"}
        )
        assert response.status_code == 401
        assert "Bearer" in response.json()["detail"]
    # Counts are public.
    counts = await nv_client.get(f"/api/videos/{slug}/social")
    assert counts.status_code == 200
    assert counts.json()["liked"] is False


async def test_browser_posts_need_the_csrf_token(nv_client: Any, people: dict[str, Any]) -> None:
    slug = people["video"].slug
    headers = await browser(nv_client, people["bob"])
    headers.pop("x-csrftoken")
    for url in (f"/social/videos/{slug}/like", f"/api/videos/{slug}/like"):
        response = await nv_client.put(url, headers=headers)
        assert response.status_code == 403, url
    response = await nv_client.post(f"/social/videos/{slug}/share", headers=headers)
    assert response.status_code == 403
    assert await VideoStats.count() == 0


async def test_like_button_fragment_flips_state_and_count(
    nv_client: Any, people: dict[str, Any]
) -> None:
    slug = people["video"].slug
    headers = await browser(nv_client, people["bob"])
    liked = await nv_client.put(f"/social/videos/{slug}/like", headers=headers)
    assert liked.status_code == 200
    html = liked.text
    assert "<html" not in html
    assert html.lstrip().startswith("<button")
    assert "data-nv-like" in html
    assert 'aria-pressed="true"' in html
    assert f'hx-delete="/social/videos/{slug}/like"' in html
    assert re.search(r'class="nv-action-count"[^>]*>1<', html)

    unliked = await nv_client.delete(f"/social/videos/{slug}/like", headers=headers)
    assert 'aria-pressed="false"' in unliked.text
    assert f'hx-put="/social/videos/{slug}/like"' in unliked.text
    assert re.search(r'class="nv-action-count"[^>]*>0<', unliked.text)


async def test_bookmark_and_share_fragments(nv_client: Any, people: dict[str, Any]) -> None:
    slug = people["video"].slug
    headers = await browser(nv_client, people["bob"])
    kept = await nv_client.put(f"/social/videos/{slug}/bookmark", headers=headers)
    assert kept.status_code == 200
    assert "data-nv-bookmark" in kept.text
    assert 'aria-pressed="true"' in kept.text
    shared = await nv_client.post(f"/social/videos/{slug}/share", headers=headers)
    assert shared.status_code == 200
    assert "data-nv-share" in shared.text
    assert 'hx-trigger="nv-shared"' in shared.text
    assert re.search(r'class="nv-action-count"[^>]*>1<', shared.text)


async def test_signed_out_buttons_lead_to_the_login_page(
    nv_client: Any, people: dict[str, Any]
) -> None:
    slug = people["video"].slug
    page = await nv_client.get("/")
    # Counts are shown; pressing a button opens the login page, coming back to the video.
    assert re.search(r'data-nv-like[^>]*aria-pressed="false"', page.text)
    assert (
        f'<form class="nv-action-form" action="/login" method="get"><input type="hidden" '
        f'name="next" value="/v/{slug}">' in page.text
    )
    # A stale button of an expired session is sent to the login page by htmx.
    headers = {
        "HX-Request": "true",
        "Accept": "text/html",
        "x-csrftoken": str(nv_client.cookies.get("nv_csrf")),
    }
    response = await nv_client.put(f"/social/videos/{slug}/like", headers=headers)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login"
    assert await VideoStats.count() == 0


def test_short_counts() -> None:
    shown = [services.short_count(n) for n in (0, 999, 1000, 1250, 9999, 12_345, 2_500_000)]
    assert shown == ["0", "999", "1K", "1.2K", "10K", "12K", "2.5M"]


async def test_the_api_is_in_the_openapi_schema(nv_client: Any) -> None:
    schema = (await nv_client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    expected = {
        "/api/videos/{video_id}/like": {"put", "delete"},
        "/api/videos/{video_id}/bookmark": {"put", "delete"},
        "/api/videos/{video_id}/share": {"post"},
        "/api/videos/{video_id}/social": {"get"},
        "/api/users/{username}/follow": {"put", "delete"},
        "/api/users/{username}/social": {"get"},
        "/api/notifications": {"get"},
        "/api/notifications/read": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
        for method in methods:
            operation = paths[path][method]
            assert operation["tags"] == ["social"]
            assert operation["security"] == [{"BearerToken": []}]
    assert not any(path.startswith("/social/") for path in paths)
