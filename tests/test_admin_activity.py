"""``/admin/activity``: the instance's views, viewers, members and uploads per day, for
admins, kept a few minutes and measured again on demand."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.admin import activity
from nichevid.feed.tables import WatchEvent
from nichevid.testing.factories import ready_video
from tests.conftest import user_maker
from tests.test_admin_home import HTML, _sign_in


def _stat(page: str, name: str) -> str:
    found = re.search(rf'data-stat="{name}">([^<]+)<', page)
    assert found, f"no {name} in the page"
    return found.group(1)


async def _instance(resources: Any) -> dict[str, Any]:
    make = user_maker(resources)
    boss, maker = await make("boss", role="admin"), await make("maker", role="creator")
    fan = await make("fan")
    now = datetime.now(UTC)
    popular = await ready_video(maker, caption="popular")
    quiet = await ready_video(maker, caption="quiet")
    for _ in range(3):
        await WatchEvent(viewer=fan.id, video=popular.id, watched_ms=2_000, created_at=now).save()
    await WatchEvent(session_id="anon", video=quiet.id, watched_ms=1_000, created_at=now).save()
    old = now - timedelta(days=3)
    await WatchEvent(session_id="anon2", video=quiet.id, watched_ms=1_000, created_at=old).save()
    await WatchEvent(session_id="gone", video=quiet.id, created_at=now - timedelta(days=60)).save()
    return {"boss": boss, "popular": popular, "quiet": quiet, "now": now, "old": old}


async def test_the_figures_count_the_period_day_by_day(nv_client: Any, nv_resources: Any) -> None:
    made = await _instance(nv_resources)
    found = await activity.measure(30, now=made["now"])
    assert (found.views, found.viewers, found.watched_ms) == (5, 3, 8_000)
    assert (found.new_members, found.uploads, found.published) == (3, 2, 2)
    today, earlier = found.daily[-1], next(d for d in found.daily if d.day == made["old"].date())
    assert (today.views, today.viewers, today.new_members, today.uploads) == (4, 2, 3, 2)
    assert (earlier.views, earlier.viewers) == (1, 1)
    assert len(found.daily) == 30
    assert [v["slug"] for v in found.top_videos] == [made["popular"].slug, made["quiet"].slug]
    assert found.top_videos[0]["username"] == "maker"
    longer = await activity.measure(90, now=made["now"])
    assert longer.views == 6


async def test_admins_see_it_kept_a_while_and_measured_again_on_demand(
    nv_client: Any, nv_resources: Any
) -> None:
    made = await _instance(nv_resources)
    await _sign_in(nv_client, "boss")
    page = await nv_client.get("/admin/activity", headers=HTML)
    assert page.status_code == 200
    assert (_stat(page.text, "views"), _stat(page.text, "viewers")) == ("5", "3")
    assert f'data-video="{made["popular"].slug}"' in page.text
    assert page.text.count('<svg class="nv-chart"') == 2
    home = await nv_client.get("/admin", headers=HTML)
    assert 'href="/admin/activity"' in home.text
    await WatchEvent(session_id="new", video=made["quiet"].id, watched_ms=1).save()
    kept = await nv_client.get("/admin/activity", headers=HTML)
    assert _stat(kept.text, "views") == "5"
    again = await nv_client.get("/admin/activity?fresh=1", headers=HTML)
    assert _stat(again.text, "views") == "6"
    week = await nv_client.get("/admin/activity?days=7", headers=HTML)
    assert 'href="/admin/activity?days=7" aria-current="page"' in week.text


async def test_bad_periods_and_other_roles_are_refused(nv_client: Any, nv_resources: Any) -> None:
    await _instance(nv_resources)
    make = user_maker(nv_resources)
    await make("keeper", role="moderator")
    await _sign_in(nv_client, "boss")
    for days in ("5", "x", "-7", "3650"):
        bad = await nv_client.get(f"/admin/activity?days={days}", headers=HTML)
        assert bad.status_code == 400
        assert "Choose a period of 7, 30, 90 days." in bad.text
        assert _stat(bad.text, "views") == "5"  # the default period, shown beside
    await _sign_in(nv_client, "keeper")
    assert (await nv_client.get("/admin/activity", headers=HTML)).status_code == 403
    assert 'href="/admin/activity"' not in (await nv_client.get("/admin", headers=HTML)).text
    nv_client.cookies.clear()
    visitor = await nv_client.get("/admin/activity", headers=HTML, follow_redirects=False)
    assert visitor.status_code == 303
