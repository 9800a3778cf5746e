"""The anonymous page cache: shared bytes for visitors without a session, never for others."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from nichevid.core.pagecache import HITS
from nichevid.plugins import hookimpl


class RenderCounter:
    """Writes how many times a page was rendered into its head, so a cache hit shows."""

    def __init__(self) -> None:
        self.renders = 0

    @hookimpl
    def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
        if slot != "head":
            return None
        self.renders += 1
        return f'<meta name="render" content="{self.renders}">'


def rendered(html: str) -> int:
    match = re.search(r'<meta name="render" content="(\d+)">', html)
    assert match, "the page has no render marker"
    return int(match.group(1))


@pytest.fixture(autouse=True)
def counter(nv_plugins: list[Any]) -> RenderCounter:
    plugin = RenderCounter()
    nv_plugins.append(plugin)
    return plugin


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    return nv_settings_factory(server={"page_cache_seconds": 0.3, "page_cache_stale_seconds": 0})


async def test_anonymous_visitors_share_one_render_until_it_expires(
    nv_client: Any, counter: RenderCounter
) -> None:
    first = await nv_client.get("/")
    nv_client.cookies.clear()
    second = await nv_client.get("/")
    assert first.status_code == second.status_code == 200
    assert rendered(first.text) == rendered(second.text) == 1
    assert counter.renders == 1
    await asyncio.sleep(0.4)
    third = await nv_client.get("/")
    assert rendered(third.text) == 2


async def test_every_visitor_gets_a_csrf_cookie_of_their_own(
    nv_client: Any, counter: RenderCounter
) -> None:
    tokens = []
    for _ in range(3):
        nv_client.cookies.clear()
        response = await nv_client.get("/")
        tokens.append(response.cookies["nv_csrf"])
        # The shared page carries no token: the page reads it from the cookie.
        assert tokens[-1] not in response.text
    assert counter.renders == 1
    assert len(set(tokens)) == 3


async def test_a_visitor_who_has_a_csrf_cookie_is_not_given_another(
    nv_client: Any, counter: RenderCounter
) -> None:
    await nv_client.get("/")
    response = await nv_client.get("/")
    assert counter.renders == 1
    assert "nv_csrf" not in response.headers.get("set-cookie", "")


async def test_the_cached_page_token_cookie_passes_the_csrf_check(
    nv_client: Any, counter: RenderCounter
) -> None:
    await nv_client.get("/")
    nv_client.cookies.clear()
    await nv_client.get("/")  # served from the cache, with a fresh cookie
    token = nv_client.cookies["nv_csrf"]
    refused = await nv_client.post("/logout")
    accepted = await nv_client.post("/logout", headers={"x-csrftoken": token})
    assert refused.status_code == 403
    assert accepted.status_code in (200, 303)


@pytest.mark.parametrize(
    ("header", "value"),
    [("cookie", "nv_session=" + "0" * 64), ("authorization", "Bearer not-a-real-token")],
)
async def test_sessions_and_tokens_are_never_served_from_the_cache(
    nv_client: Any, counter: RenderCounter, header: str, value: str
) -> None:
    await nv_client.get("/")
    nv_client.cookies.clear()
    response = await nv_client.get("/", headers={header: value})
    assert rendered(response.text) == 2


async def test_routes_that_do_not_opt_in_are_not_cached(
    nv_client: Any, counter: RenderCounter
) -> None:
    await nv_client.get("/login")
    await nv_client.get("/login")
    assert counter.renders == 2


async def test_htmx_requests_and_page_loads_are_kept_apart(
    nv_client: Any, counter: RenderCounter
) -> None:
    await nv_client.get("/")
    before = HITS._value.get()
    await nv_client.get("/", headers={"hx-request": "true"})
    assert HITS._value.get() == before
    await nv_client.get("/", headers={"hx-request": "true"})
    assert HITS._value.get() == before + 1


@pytest.mark.usefixtures("_nv_migrated")
async def test_zero_seconds_turns_the_cache_off(
    nv_settings_factory: Any, counter: RenderCounter
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    app = create_app(nv_settings_factory(server={"page_cache_seconds": 0}), plugins=[counter])
    async with client_for(app) as client:
        await client.get("/")
        await client.get("/")
    assert counter.renders == 2


async def test_an_expired_page_is_served_once_more_while_a_fresh_render_runs(
    nv_settings_factory: Any, nv_plugins: list[Any], counter: RenderCounter
) -> None:
    from nichevid.app import create_app
    from nichevid.core.pagecache import STALE_HITS
    from nichevid.testing import client_for

    settings = nv_settings_factory(
        server={"page_cache_seconds": 0.2, "page_cache_stale_seconds": 5}
    )
    async with client_for(create_app(settings, plugins=nv_plugins)) as client:
        assert rendered((await client.get("/")).text) == 1
        await asyncio.sleep(0.3)
        stale_before = STALE_HITS._value.get()
        client.cookies.clear()
        stale = await client.get("/")
        # The visitor got the kept page at once; the fresh one was rendered behind it.
        assert stale.status_code == 200
        assert rendered(stale.text) == 1
        assert STALE_HITS._value.get() == stale_before + 1
        for _ in range(50):
            if counter.renders == 2:
                break
            await asyncio.sleep(0.02)
        assert counter.renders == 2
        client.cookies.clear()
        assert rendered((await client.get("/")).text) == 2
        assert counter.renders == 2


async def test_a_page_stale_for_longer_waits_for_its_render(
    nv_settings_factory: Any, nv_plugins: list[Any], counter: RenderCounter
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    settings = nv_settings_factory(
        server={"page_cache_seconds": 0.1, "page_cache_stale_seconds": 0.1}
    )
    async with client_for(create_app(settings, plugins=nv_plugins)) as client:
        assert rendered((await client.get("/")).text) == 1
        await asyncio.sleep(0.3)
        client.cookies.clear()
        assert rendered((await client.get("/")).text) == 2


def test_a_negative_stale_time_stops_start_up(nv_settings_factory: Any) -> None:
    with pytest.raises(Exception, match="page_cache_stale_seconds"):
        nv_settings_factory(server={"page_cache_stale_seconds": -1})


async def test_visitors_arriving_during_a_render_wait_for_it_instead_of_rendering(
    nv_settings_factory: Any, nv_plugins: list[Any], counter: RenderCounter
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    class Slow:
        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
            if slot == "head":
                time.sleep(0.05)  # a render that takes a while: the others arrive during it
            return None

    nv_plugins.append(Slow())
    settings = nv_settings_factory(server={"page_cache_seconds": 5, "page_cache_stale_seconds": 0})
    async with client_for(create_app(settings, plugins=nv_plugins)) as client:
        pages = await asyncio.gather(*(client.get("/") for _ in range(8)))
    assert [page.status_code for page in pages] == [200] * 8
    assert {rendered(page.text) for page in pages} == {1}
    assert counter.renders == 1


async def test_stale_pages_are_rendered_again_a_few_at_a_time(
    nv_settings_factory: Any, nv_plugins: list[Any], counter: RenderCounter
) -> None:
    from nichevid.app import create_app
    from nichevid.core import pagecache
    from nichevid.testing import client_for

    running = {"now": 0, "most": 0}

    class Slow:
        @hookimpl
        async def prepare_cards(self, request: Any, cards: list[Any]) -> None:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
            await asyncio.sleep(0.05)  # a render that waits: others could start meanwhile
            running["now"] -= 1

    nv_plugins.append(Slow())
    settings = nv_settings_factory(
        server={"page_cache_seconds": 0.2, "page_cache_stale_seconds": 30}
    )
    pages = [f"/?page={n}" for n in range(8)]
    async with client_for(create_app(settings, plugins=nv_plugins)) as client:
        for page in pages:
            assert (await client.get(page)).status_code == 200
        first = counter.renders
        await asyncio.sleep(0.3)
        running["most"] = 0
        client.cookies.clear()
        # Every page is stale: each visitor gets it at once, and the renders queue up.
        stale = await asyncio.gather(*(client.get(page) for page in pages))
        assert all(rendered(page.text) <= first for page in stale)
        for _ in range(100):
            if counter.renders == first + len(pages):
                break
            await asyncio.sleep(0.02)
        assert counter.renders == first + len(pages)
        assert running["most"] == pagecache.REFRESHES
