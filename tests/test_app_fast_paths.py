"""What anonymous requests cost: no stored session, no session cookie, a cheap CSRF cookie."""

import itertools
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.middleware.csrf import CSRFMiddleware

from nichevid.app import SESSION_COOKIE, BearerAwareCSRFMiddleware


def _set_cookies(response: Any) -> list[str]:
    return response.headers.get_list("set-cookie")


async def _stored_rows() -> int:
    from nichevid.core.tables import KeyValue

    return int(await KeyValue.count().run())


async def test_anonymous_requests_store_no_session(nv_client: Any, nv_settings: Any) -> None:
    before = None if nv_settings.uses_redis else await _stored_rows()
    for path in ("/healthz", "/", "/login"):
        response = await nv_client.get(path)
        assert response.status_code < 500, response.text
        assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in _set_cookies(response)), path
    if before is not None:
        assert await _stored_rows() == before


async def test_an_unknown_session_cookie_is_cleared(nv_client: Any) -> None:
    nv_client.cookies.set(SESSION_COOKIE, "0" * 64)
    response = await nv_client.get("/healthz")
    cleared = [c for c in _set_cookies(response) if c.startswith(f"{SESSION_COOKIE}=")]
    assert len(cleared) == 1
    assert cleared[0].startswith(f"{SESSION_COOKIE}=null;")


def test_csrf_cookie_header_reads_exactly_as_litestars() -> None:
    for secure, domain, httponly, samesite, path in itertools.product(
        (False, True), (None, "example.org"), (False, True), ("lax", "strict", "none"), ("/", "/a")
    ):
        config = CSRFConfig(
            secret="s",
            cookie_name="nv_csrf",
            cookie_secure=secure,
            cookie_domain=domain,
            cookie_httponly=httponly,
            cookie_samesite=samesite,
            cookie_path=path,
        )
        theirs: dict[str, Any] = {"type": "http.response.start", "headers": []}
        ours: dict[str, Any] = {"type": "http.response.start", "headers": []}
        CSRFMiddleware(app=None, config=config)._set_cookie_if_needed(theirs, "abc123")
        BearerAwareCSRFMiddleware(app=None, config=config)._set_cookie_if_needed(ours, "abc123")
        assert ours["headers"] == theirs["headers"]
