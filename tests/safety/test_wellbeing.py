"""Well-being: the break reminder and the daily limit, their settings and the day's time."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

from nichevid.safety import services as safety
from nichevid.safety.tables import SafetyPrefs
from nichevid.safety.wellbeing import watched_today

from .conftest import bearer, browser

HTML = {"accept": "text/html"}
SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "http://127.0.0.1:8000"}


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    """A niche whose defaults remind after 20 minutes and stop at 90 a day."""
    return nv_settings_factory(
        plugin={"safety": {"break_reminder_minutes": 20, "daily_limit_minutes": 90}}
    )


def notices(html: str) -> dict[str, int]:
    found = re.search(r'data-break="(\d+)" data-limit="(\d+)" data-used="(\d+)"', html)
    assert found, html
    return dict(zip(("break", "limit", "used"), map(int, found.groups()), strict=True))


async def save(client: Any, user: Any, **fields: str) -> Any:
    headers = await browser(client, user)
    headers.pop("HX-Request")
    form = {"who_may_comment": "everyone", **fields}
    return await client.post("/settings/safety", data=form, headers={**headers, **HTML})


async def test_visitors_get_the_niche_break_reminder_only(nv_client: Any) -> None:
    response = await nv_client.get("/safety/wellbeing")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert notices(response.text) == {"break": 1200, "limit": 0, "used": 0}
    assert "Time for a break?" in response.text
    assert 'role="dialog"' in response.text


async def test_the_feed_pages_load_the_notices(nv_client: Any, make_user: Any) -> None:
    assert "/static/plugins/safety/wellbeing.js" in (await nv_client.get("/")).text
    script = await nv_client.get("/static/plugins/safety/wellbeing.js")
    assert script.status_code == 200
    assert "/safety/wellbeing" in script.text
    await browser(nv_client, await make_user("ada"))
    assert "wellbeing.js" in (await nv_client.get("/following", headers=HTML)).text
    assert "wellbeing.js" not in (await nv_client.get("/settings/safety", headers=HTML)).text


async def test_watch_events_count_towards_the_day(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    ada = await make_user("ada")
    video = await make_video(await make_user("bob"))
    token = await bearer(ada)
    events = [
        {
            "id": secrets.token_hex(8),
            "video": video.slug,
            "watched_ms": 2500,
            "replays": 0,
            "completed": False,
            "skipped": False,
            "feed": "foryou",
        }
        for _ in range(2)
    ]
    response = await nv_client.post(
        "/api/events", json={"events": events}, headers={**SAME_ORIGIN, **token}
    )
    assert response.status_code == 202, response.text
    assert await watched_today(ada) == 5000
    # The same events again are duplicates: they add nothing.
    await nv_client.post("/api/events", json={"events": events}, headers={**SAME_ORIGIN, **token})
    assert await watched_today(ada) == 5000
    shown = notices((await nv_client.get("/safety/wellbeing", headers=token)).text)
    assert shown == {"break": 1200, "limit": 5400, "used": 5}


async def test_a_member_chooses_their_own_or_turns_them_off(nv_client: Any, make_user: Any) -> None:
    ada = await make_user("ada")
    response = await save(
        nv_client, ada, break_on="1", break_minutes="5", limit_on="1", limit_minutes=" 30 "
    )
    assert response.status_code == 303
    assert notices((await nv_client.get("/safety/wellbeing")).text)["break"] == 300
    page = (await nv_client.get("/settings/safety", headers=HTML)).text
    assert '<a href="/settings/safety" aria-current="page">' in page
    profile_form = (await nv_client.get("/settings/profile", headers=HTML)).text
    assert '<a href="/settings/safety">Safety and well-being</a>' in profile_form
    assert 'value="5"' in page
    assert 'value="30"' in page
    # Ticked but empty: the niche's default; unticked: off.
    assert (await save(nv_client, ada, break_on="1", limit_on="")).status_code == 303
    chosen = await safety.prefs_of(ada)
    assert (chosen.break_minutes, chosen.daily_limit_minutes) == (None, 0)
    assert notices((await nv_client.get("/safety/wellbeing")).text) == {
        "break": 1200,
        "limit": 0,
        "used": 0,
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"break_on": "1", "break_minutes": "0"}, "The break reminder must be a whole number"),
        ({"limit_on": "1", "limit_minutes": "-15"}, "The daily limit must be a whole number"),
        ({"limit_on": "1", "limit_minutes": "1441"}, "from 1 to 1440"),
        ({"break_on": "1", "break_minutes": "ten"}, "The break reminder must be"),
    ],
)
async def test_bad_minutes_are_refused_and_nothing_changes(
    nv_client: Any, make_user: Any, fields: dict[str, str], expected: str
) -> None:
    ada = await make_user("ada")
    await safety.save_prefs(ada, safety.Prefs(break_minutes=12))
    response = await save(nv_client, ada, **fields)
    assert response.status_code == 400
    assert expected in response.text
    assert "untick the box to turn it off" in response.text
    assert (await safety.prefs_of(ada)).break_minutes == 12
    assert await SafetyPrefs.count() == 1


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("break_reminder_minutes", -1, "plugin.safety.break_reminder_minutes"),
        ("daily_limit_minutes", -5, "plugin.safety.daily_limit_minutes"),
        ("daily_limit_minutes", 2000, "plugin.safety.daily_limit_minutes"),
    ],
)
def test_bad_niche_defaults_stop_start_up(
    nv_settings_factory: Any, key: str, value: int, expected: str
) -> None:
    from nichevid.app import create_app
    from nichevid.settings import ConfigError

    with pytest.raises(ConfigError) as caught:
        create_app(nv_settings_factory(plugin={"safety": {key: value}}))
    assert expected in str(caught.value)
