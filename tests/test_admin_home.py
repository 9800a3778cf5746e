"""``/admin``: moderators and admins see the instance and every operator page; others don't."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from nichevid.accounts.tables import TwoFactor
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import login
from tests.conftest import user_maker

HTML = {"accept": "text/html"}


async def _sign_in(client: Any, username: str) -> None:
    client.cookies.clear()
    assert (await login(client, username)).status_code == 303


def _cell(page: str, attribute: str, value: str) -> int:
    found = re.search(rf'data-{attribute}="{value}">(\d+)<', page)
    assert found, f"no {attribute}={value} in the page"
    return int(found.group(1))


@pytest.mark.nichevid_plugins("moderation", "gifts")
async def test_admins_see_the_instance_and_every_operator_page(
    nv_client: Any, nv_resources: Any
) -> None:
    make = user_maker(nv_resources)
    await make("boss", role="admin")
    creator = await make("maker", role="creator")
    await make("viewer")
    await make("viewer2")
    for _ in range(3):
        await ready_video(creator, caption="ready one")
    await ready_video(creator, caption="waiting", status="held")
    await ready_video(creator, caption="later", status="scheduled")
    await TwoFactor(user=creator.id, secret="sealed", enabled_at=datetime.now(UTC)).save()
    await _sign_in(nv_client, "boss")
    page = await nv_client.get("/admin", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert (_cell(text, "role", "admin"), _cell(text, "role", "creator")) == (1, 1)
    assert _cell(text, "role", "member") == 2
    assert (_cell(text, "status", "ready"), _cell(text, "status", "held")) == (3, 1)
    assert _cell(text, "status", "scheduled") == 1
    assert '<th scope="row">Scheduled</th>' in text
    assert '<td data-two-factor="creator">1 with two-factor authentication</td>' in text
    assert '<td data-two-factor="admin">0 with two-factor authentication</td>' in text
    assert _cell(text, "status", "failed") == 0
    assert _cell(text, "jobs", "failed") >= 0
    shape = "PostgreSQL" if nv_resources.settings.database_url.startswith("postgres") else "SQLite"
    assert f"<td>{shape}</td>" in text
    media = (nv_resources.settings.data_dir / "media").resolve()
    assert f"<td>local: {media}</td>" in text
    for href in (
        "/admin/recommender",
        "/admin/ledger",
        "/admin/payouts",
        "/admin/revenue",
        "/admin/pages/privacy",
        "/admin/gifts",
        "/moderation",
        "/moderation/stats",
    ):
        assert f'href="{href}"' in text, href
    # Every page listed opens for the admin.
    links = re.findall(r'<nav class="nv-subnav nv-admin-pages"[^>]*>(.*?)</nav>', text, re.S)[0]
    for href in re.findall(r'href="([^"]+)"', links):
        assert (await nv_client.get(href, headers=HTML)).status_code == 200, href
    # The settings menu leads here.
    settings = await nv_client.get("/settings", headers=HTML, follow_redirects=True)
    assert settings.url.path == "/settings/profile"
    assert 'href="/admin"' in settings.text


@pytest.mark.nichevid_plugins("moderation")
async def test_moderators_see_their_pages_only_and_members_none(
    nv_client: Any, nv_resources: Any
) -> None:
    make = user_maker(nv_resources)
    await make("keeper", role="moderator")
    await make("viewer")
    await _sign_in(nv_client, "keeper")
    page = await nv_client.get("/admin", headers=HTML)
    assert page.status_code == 200
    assert 'href="/moderation"' in page.text
    assert 'href="/moderation/stats"' not in page.text
    assert 'href="/admin/ledger"' not in page.text
    assert 'data-jobs="' not in page.text
    await _sign_in(nv_client, "viewer")
    assert (await nv_client.get("/admin", headers=HTML)).status_code == 403
    assert 'href="/admin"' not in (await nv_client.get("/settings/profile", headers=HTML)).text
    nv_client.cookies.clear()
    visitor = await nv_client.get("/admin", headers=HTML, follow_redirects=False)
    assert visitor.status_code == 303
    assert visitor.headers["location"] == "/login?next=/admin"
