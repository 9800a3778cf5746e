"""Guards (redirect, 401, 403), bearer tokens on the JSON API, the token settings page."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Request, get

from nichevid.accounts.guards import requires_login, requires_role
from nichevid.plugins import hookimpl
from tests.accounts.conftest import PASSWORD, login, post_form

HTML = {"accept": "text/html"}


@get("/test/moderation", guards=[requires_role("moderator")], sync_to_thread=False)
def moderation(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"hello": request.user.username}


@get("/test/members", guards=[requires_login], sync_to_thread=False)
def members(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"hello": request.user.username}


class GuardedRoutes:
    @hookimpl
    def register_routes(self, settings: Any) -> list[Any]:
        return [moderation, members]


@pytest.fixture
def nv_plugins() -> list[Any]:
    return [GuardedRoutes()]


async def test_pages_redirect_to_login_with_next(nv_client: Any) -> None:
    response = await nv_client.get("/settings/profile?x=1", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/profile%3Fx%3D1"
    htmx = await nv_client.get("/settings/tokens", headers={**HTML, "hx-request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["hx-redirect"] == "/login?next=/settings/tokens"


async def test_api_and_scripts_get_401_json(nv_client: Any) -> None:
    for url in ("/api/me", "/test/members"):
        response = await nv_client.get(url)
        assert response.status_code == 401
        assert "Bearer" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
    html_api = await nv_client.get("/api/me", headers=HTML)
    assert html_api.status_code == 401


async def test_roles_are_checked_by_guards(nv_client: Any, make_user: Any) -> None:
    from nichevid.accounts import services

    user = await make_user("alice", role="creator")
    await login(nv_client, "alice")
    assert (await nv_client.get("/test/members")).json() == {"hello": "alice"}
    assert (await nv_client.get("/test/moderation")).status_code == 403
    await services.set_role(user, "moderator")
    assert (await nv_client.get("/test/moderation")).status_code == 200
    await services.set_role(user, "admin")
    assert (await nv_client.get("/test/moderation")).status_code == 200
    with pytest.raises(ValueError, match="requires_role"):
        requires_role("emperor")


async def test_bearer_token_on_the_api_and_revocation(nv_client: Any, make_user: Any) -> None:
    from nichevid.accounts import services

    user = await make_user("alice", role="moderator")
    plain, info = await services.create_token(user, "script")
    auth = {"authorization": f"Bearer {plain}"}
    me = await nv_client.get("/api/me", headers=auth)
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert (await nv_client.get("/test/moderation", headers=auth)).status_code == 200
    listed = (await nv_client.get("/api/tokens", headers=auth)).json()
    assert [t["prefix"] for t in listed] == [plain[:10]]
    assert listed[0]["last_used_at"] is not None

    # Unsafe methods with a token need no CSRF token (there is no cookie to forge).
    revoked = await nv_client.delete(f"/api/tokens/{info.id}", headers=auth)
    assert revoked.status_code == 204
    refused = await nv_client.get("/api/me", headers=auth)
    assert refused.status_code == 401
    bogus = await nv_client.get("/api/me", headers={"authorization": "Bearer nv_nope"})
    assert bogus.status_code == 401


async def test_a_bad_token_never_falls_back_to_the_session(nv_client: Any, make_user: Any) -> None:
    await make_user("alice")
    await login(nv_client, "alice")
    assert (await nv_client.get("/api/me")).status_code == 200
    # Requests with a bearer header skip CSRF checks, so they must not ride on the cookie.
    response = await nv_client.get("/api/me", headers={"authorization": "Bearer nv_forged"})
    assert response.status_code == 401
    forged_post = await nv_client.post(
        "/settings/tokens", data={"name": "x"}, headers={"authorization": "Bearer x"}
    )
    assert forged_post.status_code == 401


async def test_schema_lists_the_json_api_only(nv_client: Any) -> None:
    paths = (await nv_client.get("/schema/openapi.json")).json()["paths"]
    assert "/api/me" in paths
    assert "/api/tokens/{token_id}" in paths
    assert "/login" not in paths


async def test_token_settings_page(nv_client: Any, make_user: Any) -> None:
    await make_user("alice")
    await login(nv_client, "alice")
    page = await nv_client.get("/settings/tokens", headers=HTML)
    assert "No tokens yet" in page.text
    empty = await post_form(nv_client, "/settings/tokens", {"name": ""})
    assert empty.status_code == 400
    assert 'role="alert"' in empty.text
    created = await post_form(nv_client, "/settings/tokens", {"name": "uploader"})
    assert created.status_code == 200
    plain = created.text.split('<code class="nv-token">')[1].split("</code>")[0]
    assert plain.startswith("nv_")
    auth = {"authorization": f"Bearer {plain}"}
    assert (await nv_client.get("/api/me", headers=auth)).status_code == 200
    listed = await nv_client.get("/settings/tokens", headers=HTML)
    assert plain not in listed.text
    assert plain[:10] in listed.text
    token_id = (await nv_client.get("/api/tokens")).json()[0]["id"]
    revoked = await post_form(nv_client, f"/settings/tokens/{token_id}/revoke", {})
    assert revoked.status_code == 303
    assert (await nv_client.get("/api/me", headers=auth)).status_code == 401


async def test_someone_elses_token_cannot_be_revoked(nv_client: Any, make_user: Any) -> None:
    from nichevid.accounts import services

    alice = await make_user("alice")
    await make_user("bob")
    _, info = await services.create_token(alice, "alice's")
    await login(nv_client, "bob", PASSWORD)
    response = await post_form(nv_client, f"/settings/tokens/{info.id}/revoke", {})
    assert response.status_code == 303
    assert [t.id for t in await services.list_tokens(alice)] == [info.id]
