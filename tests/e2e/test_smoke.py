"""The running instance opens in a real browser on phone and desktop."""

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


async def test_home_page_loads_with_htmx_on_a_phone(live_server: Any, phone_page: Any) -> None:
    response = await phone_page.goto(live_server.url + "/")
    assert response is not None
    assert response.status == 200
    assert await phone_page.title()
    assert await phone_page.evaluate("typeof window.htmx") == "object"
    assert phone_page.console_errors == []


async def test_unknown_page_shows_a_readable_error_on_desktop(
    live_server: Any, desktop_page: Any
) -> None:
    response = await desktop_page.goto(live_server.url + "/no-such-page")
    assert response is not None
    assert response.status == 404
    assert await desktop_page.locator("h1").inner_text() == "Nothing here"
    assert await desktop_page.locator("a[href='/']").count() >= 1


async def test_htmx_requests_carry_the_csrf_token_from_its_cookie(
    live_server: Any, phone_page: Any
) -> None:
    await phone_page.goto(live_server.url + "/")
    cookie = next(c for c in await phone_page.context.cookies() if c["name"] == "nv_csrf")
    async with phone_page.expect_request("**/healthz") as request_info:
        await phone_page.evaluate("htmx.ajax('GET', '/healthz', {target: 'body', swap: 'none'})")
    request = await request_info.value
    assert request.headers.get("x-csrftoken") == cookie["value"]
