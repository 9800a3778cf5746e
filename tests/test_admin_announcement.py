"""The operators' announcement: written by admins, shown on every page, closed per browser."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from nichevid.admin import announcement
from tests.accounts.conftest import login, post_form

HTML = {"accept": "text/html"}
SCRIPT = "<script>alert(1)</script>"


async def banner(client: Any) -> str:
    page = await client.get("/search", headers=HTML)
    start = page.text.find('id="nv-announcement"')
    return "" if start < 0 else page.text[start : page.text.find("</div>", start)]


async def test_admins_show_and_remove_an_announcement(nv_client: Any, make_user: Any) -> None:
    await make_user("boss", role="admin")
    assert await banner(nv_client) == ""
    await login(nv_client, "boss")
    home = await nv_client.get("/admin", headers=HTML)
    assert 'href="/admin/announcement"' in home.text
    done = await post_form(
        nv_client,
        "/admin/announcement",
        {"text": f"Meetup  on Saturday {SCRIPT}", "link": "/tag/meetup", "days": "3"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/announcement?done=saved"
    store = nv_client.app.stores.get(announcement.STORE)
    left = await store.expires_in(announcement.KEY)
    assert left is not None
    assert 3 * 86400 - 60 < left <= 3 * 86400
    async with _other_browser(nv_client) as visitor:
        shown = await banner(visitor)
    assert "Meetup on Saturday &lt;script&gt;" in shown
    assert SCRIPT not in shown
    assert '<a href="/tag/meetup">More</a>' in shown
    form = await nv_client.get("/admin/announcement", headers=HTML)
    assert "Meetup on Saturday" in form.text
    removed = await post_form(nv_client, "/admin/announcement", {"remove": "1"})
    assert removed.headers["location"] == "/admin/announcement?done=removed"
    assert await banner(nv_client) == ""
    assert await store.get(announcement.KEY) is None


def _other_browser(client: Any) -> Any:
    from tests.comments.conftest import other_client

    return other_client(client)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"text": "   ", "days": "1"}, "Write the announcement"),
        ({"text": "x" * 281, "days": "1"}, "at most 280 characters"),
        ({"text": "hi", "link": "javascript:alert(1)", "days": "1"}, "The link must be"),
        ({"text": "hi", "link": "//evil.example", "days": "1"}, "The link must be"),
        ({"text": "hi", "link": "/a b", "days": "1"}, "The link must be"),
        ({"text": "hi", "days": "2"}, "Choose how long it shows"),
        ({"text": "hi", "days": "forever"}, "Choose how long it shows"),
    ],
)
async def test_bad_announcements_are_refused_and_the_shown_one_stays(
    nv_client: Any, make_user: Any, fields: dict[str, str], says: str
) -> None:
    await make_user("boss", role="admin")
    await login(nv_client, "boss")
    await post_form(nv_client, "/admin/announcement", {"text": "Kept", "days": "0"})
    refused = await post_form(nv_client, "/admin/announcement", fields)
    assert refused.status_code == 400
    assert says in refused.text
    found = await announcement.current(nv_client.app)
    assert found is not None
    assert found.text == "Kept"
    # Shown until removed: no expiry (the database store says None, Redis -1).
    left = await nv_client.app.stores.get(announcement.STORE).expires_in(announcement.KEY)
    assert left is None or left < 0


async def test_only_admins_write_it(nv_client: Any, make_user: Any) -> None:
    await make_user("warden", role="moderator")
    await login(nv_client, "warden")
    assert (await nv_client.get("/admin/announcement", headers=HTML)).status_code == 403
    refused = await post_form(nv_client, "/admin/announcement", {"text": "hi", "days": "1"})
    assert refused.status_code == 403
    assert await announcement.current(nv_client.app) is None


async def test_every_process_picks_up_a_new_one(
    nv_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As another web process would: straight into the shared store.
    monkeypatch.setattr(announcement, "REFRESH_SECONDS", 0.05)
    await asyncio.sleep(announcement.REFRESH_SECONDS * 2)
    store = nv_client.app.stores.get(announcement.STORE)
    await store.set(announcement.KEY, json.dumps({"id": 7, "text": "From elsewhere", "link": ""}))
    for _ in range(100):
        if announcement.shown(nv_client.app) is not None:
            break
        await asyncio.sleep(0.05)
    assert announcement.shown(nv_client.app) == announcement.Announcement(7, "From elsewhere")
    await store.set(announcement.KEY, "not json")
    for _ in range(100):
        if announcement.shown(nv_client.app) is None:
            break
        await asyncio.sleep(0.05)
    assert announcement.shown(nv_client.app) is None
