"""Sign-up, login, logout and change-password pages, CSRF and rate limits."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.accounts.tables import User
from tests.accounts.conftest import PASSWORD, csrf_token, login, post_form

HTML = {"accept": "text/html"}


async def me(client: Any) -> Any:
    response = await client.get("/api/me")
    return response.json() if response.status_code == 200 else None


async def test_signup_logs_in_and_shows_the_user_in_the_nav(nv_client: Any) -> None:
    page = await nv_client.get("/signup", headers=HTML)
    assert page.status_code == 200
    assert 'name="_csrf_token"' in page.text
    assert "&lt;input" not in page.text
    response = await post_form(
        nv_client,
        "/signup",
        {"username": "Alice", "email": "alice@example.org", "password": PASSWORD},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    assert (await me(nv_client))["username"] == "alice"
    profile = await nv_client.get("/u/alice", headers=HTML)
    assert 'href="/settings/profile"' in profile.text
    assert "Log out" in profile.text


async def test_signup_errors_keep_values_and_say_what_is_wrong(
    nv_client: Any, make_user: Any
) -> None:
    await make_user("alice")
    response = await post_form(
        nv_client,
        "/signup",
        {"username": "ALICE", "email": "new@example.org", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert "That username is taken." in response.text
    assert 'value="new@example.org"' in response.text
    assert PASSWORD not in response.text
    assert await User.count().run() == 1


async def test_signup_can_be_closed(nv_client: Any) -> None:
    nv_client.app.state.settings.accounts.allow_signup = False
    page = await nv_client.get("/signup", headers=HTML)
    assert "Sign-up is closed" in page.text
    response = await post_form(
        nv_client,
        "/signup",
        {"username": "alice", "email": "alice@example.org", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert await User.count().run() == 0


def test_next_only_leads_to_local_paths() -> None:
    from nichevid.accounts.web import safe_next

    assert safe_next("/u/alice?tab=videos") == "/u/alice?tab=videos"
    for bad in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x", ""):
        assert safe_next(bad) == "/"


async def test_post_without_csrf_token_is_refused_and_stores_nothing(nv_client: Any) -> None:
    await nv_client.get("/signup")  # the browser has a CSRF cookie, but the form lacks the token
    response = await nv_client.post(
        "/signup",
        data={"username": "mallory", "email": "m@example.org", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert await User.count().run() == 0
    forged = await nv_client.post(
        "/signup",
        data={"username": "mallory", "email": "m@example.org", "password": PASSWORD},
        headers={"x-csrftoken": "forged"},
    )
    assert forged.status_code == 403
    assert await User.count().run() == 0


async def test_login_logout_and_safe_next(nv_client: Any, make_user: Any) -> None:
    await make_user("alice")
    form = await nv_client.get("/login?next=/settings/tokens", headers=HTML)
    assert 'name="next" value="/settings/tokens"' in form.text
    token = await csrf_token(nv_client)
    response = await nv_client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "next": "/settings/tokens"},
        headers={"x-csrftoken": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/tokens"
    assert (await me(nv_client))["username"] == "alice"

    response = await post_form(nv_client, "/logout", {})
    assert response.status_code == 303
    assert await me(nv_client) is None

    evil = await nv_client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "next": "//evil.example/x"},
        headers={"x-csrftoken": token},
    )
    assert evil.headers["location"] == "/"


async def test_wrong_password_shows_an_error(nv_client: Any, make_user: Any) -> None:
    await make_user("alice")
    response = await login(nv_client, "alice", "not my password")
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert 'value="alice"' in response.text
    assert await me(nv_client) is None


async def test_login_renews_the_session_id(nv_client: Any, make_user: Any) -> None:
    import httpx

    await make_user("alice")
    planted = "a" * 64
    nv_client.cookies.set("nv_session", planted, domain="127.0.0.1")
    response = await login(nv_client, "alice")
    assert response.status_code == 303
    new_id = nv_client.cookies.get("nv_session")
    assert new_id
    assert new_id != planted
    # Someone who planted the old id gains nothing.
    transport = httpx.ASGITransport(app=nv_client.app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as other:
        other.cookies.set("nv_session", planted)
        assert (await other.get("/api/me")).status_code == 401


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    return nv_settings_factory(
        accounts={"login_attempts_per_minute": 5, "signups_per_hour": 3, "resets_per_hour": 2}
    )


async def test_fifty_wrong_logins_are_limited_without_damaging_the_account(
    nv_client: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as real_time

    from nichevid.core import ratelimit

    # The limiter's clock stands still inside one window, so the attempts cannot straddle two.
    clock = {"now": (real_time.time() // 60) * 60 + 1}

    class Clock:
        @staticmethod
        def time() -> float:
            return clock["now"]

    monkeypatch.setattr(ratelimit, "time", Clock)
    user = await make_user("alice")
    statuses = []
    for _ in range(50):
        response = await login(nv_client, "alice", "guess guess guess")
        statuses.append(response.status_code)
    assert statuses[:5] == [400] * 5
    assert set(statuses[5:]) == {429}
    assert "Too many attempts" in response.text
    assert int(response.headers["retry-after"]) >= 1
    # Still limited with the right password inside the window ...
    assert (await login(nv_client, "alice")).status_code == 429

    # ... and in the next window the right password works: nothing was locked or changed.
    clock["now"] += 61
    assert (await login(nv_client, "alice")).status_code == 303
    row = await User.objects().where(User.id == user.id).first().run()
    assert row.is_active
    assert row.password_hash == user.password_hash


async def test_signups_are_limited_per_address(nv_client: Any) -> None:
    statuses = []
    for index in range(5):
        response = await post_form(
            nv_client,
            "/signup",
            {"username": f"user{index}", "email": f"u{index}@example.org", "password": PASSWORD},
        )
        statuses.append(response.status_code)
        nv_client.cookies.delete("nv_session")
    assert statuses == [303, 303, 303, 429, 429]
    assert "retry-after" in response.headers
    assert await User.count().run() == 3


async def test_change_password_page(nv_client: Any, make_user: Any) -> None:
    await make_user("alice")
    await login(nv_client, "alice")
    old_session = nv_client.cookies.get("nv_session")
    page = await nv_client.get("/settings/password", headers=HTML)
    assert page.status_code == 200
    wrong = await post_form(
        nv_client,
        "/settings/password",
        {"current_password": "nope", "password": "a brand new secret"},
    )
    assert wrong.status_code == 400
    assert "current password is not right" in wrong.text
    done = await post_form(
        nv_client,
        "/settings/password",
        {"current_password": PASSWORD, "password": "a brand new secret"},
    )
    assert done.status_code == 303
    assert nv_client.cookies.get("nv_session") != old_session
    assert (await me(nv_client))["username"] == "alice"
    await post_form(nv_client, "/logout", {})
    assert (await login(nv_client, "alice")).status_code == 400
    assert (await login(nv_client, "alice", "a brand new secret")).status_code == 303


async def test_public_profile_page(nv_client: Any, make_user: Any) -> None:
    await make_user("alice", display_name="<b>Alice</b>")
    page = await nv_client.get("/u/ALICE", headers=HTML)
    assert page.status_code == 200
    assert "&lt;b&gt;Alice&lt;/b&gt;" in page.text
    assert "alice@example.org" not in page.text
    missing = await nv_client.get("/u/nobody", headers=HTML)
    assert missing.status_code == 404


async def test_at_handles_lead_to_profiles(nv_client: Any, make_user: Any) -> None:
    await make_user("alice")
    shared = await nv_client.get("/@Alice", headers=HTML, follow_redirects=False)
    assert shared.status_code == 301
    assert shared.headers["location"] == "/u/Alice"
    followed = await nv_client.get("/@alice", headers=HTML, follow_redirects=True)
    assert followed.status_code == 200
    assert "@alice" in followed.text
    # Anything else of one segment is still not found, and other methods are not taken.
    for path in ("/@", "/alice", "/@nobody/x", "/favicon.ico"):
        assert (await nv_client.get(path, headers=HTML)).status_code == 404, path
    nobody = await nv_client.get("/@nobody", headers=HTML, follow_redirects=True)
    assert nobody.status_code == 404
    odd = await nv_client.get("/@a%20b?x", follow_redirects=False)
    assert odd.headers["location"] == "/u/a%20b"


def test_every_post_form_carries_the_csrf_token() -> None:
    import re
    from pathlib import Path

    import nichevid

    templates = Path(nichevid.__file__).parent / "templates"
    files = [*sorted((templates / "accounts").glob("*.html")), templates / "partials" / "nav.html"]
    checked = 0
    for path in files:
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", path.read_text(), re.S):
            assert "{{ csrf_input | safe }}" in form, f"{path.name}: form without CSRF token"
            checked += 1
    assert checked >= 8
