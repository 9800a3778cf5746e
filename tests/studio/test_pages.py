"""The studio's pages, CSV and API: a creator's own figures only, and refusals that say why."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from nichevid.core.csvfile import safe_cell
from nichevid.feed.tables import WatchEvent
from nichevid.social.tables import Like
from tests.accounts.conftest import login
from tests.social.conftest import PASSWORD, bearer

PERIOD_ERROR = "Choose a period of 7, 30, 90 days."


async def _studio(make_user: Any, make_video: Any) -> dict[str, Any]:
    ada = await make_user("ada", role="creator")
    bob, cara = await make_user("bob"), await make_user("cara", role="creator")
    clip = await make_video(ada, caption='=HYPERLINK("x") #knit', duration_ms=4_000)
    quiet = await make_video(ada, caption="quiet one", visibility="private")
    theirs = await make_video(cara)
    await WatchEvent(viewer=bob.id, video=clip.id, watched_ms=4_000, completed=True).save()
    await WatchEvent(session_id="anon", video=clip.id, watched_ms=1_000, feed="search").save()
    await Like(viewer=bob.id, video=clip.id).save()
    return {"ada": ada, "bob": bob, "cara": cara, "clip": clip, "quiet": quiet, "theirs": theirs}


async def test_the_studio_shows_the_creators_figures_and_videos(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    s = await _studio(make_user, make_video)
    assert (await login(nv_client, "ada", PASSWORD)).status_code in (200, 303)
    page = await nv_client.get("/studio")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-stat="views">2<' in html
    assert 'data-stat="viewers">2<' in html
    assert 'data-stat="likes">1<' in html
    assert 'data-stat="completion_rate">50 %<' in html
    assert f'data-video="{s["clip"].slug}"' in html
    assert f'data-video="{s["quiet"].slug}"' in html
    assert s["theirs"].slug not in html
    assert 'data-source="search"' in html
    assert 'data-source="foryou"' in html
    assert '<svg class="nv-chart"' in html
    assert 'href="/studio" aria-current="page"' in html  # the settings menu's entry
    assert "/studio/export.csv?days=30" in html
    week = await nv_client.get("/studio?days=7")
    assert week.status_code == 200
    assert 'href="/studio?days=7" aria-current="page"' in week.text

    one = await nv_client.get(f"/studio/v/{s['clip'].slug}?days=90")
    assert one.status_code == 200, one.text
    assert 'id="nv-studio-retention"' in one.text
    assert 'data-stat="views">2<' in one.text
    assert "<td>100 %</td><td>50 %</td>" in one.text  # half the views reached the end
    assert "new_followers" not in one.text
    status = await nv_client.get(f"/upload/status/{s['clip'].slug}")
    assert status.status_code == 200
    assert f'href="/studio/v/{s["clip"].slug}"' in status.text


async def test_the_csv_has_one_formula_safe_line_per_video(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    s = await _studio(make_user, make_video)
    await login(nv_client, "ada", PASSWORD)
    response = await nv_client.get("/studio/export.csv?days=7")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # A slug may start with "-", which spreadsheets would run: such cells are quoted.
    assert [r["video"] for r in rows] == [safe_cell(s["clip"].slug), safe_cell(s["quiet"].slug)]
    assert rows[0]["caption"].startswith("'=HYPERLINK")
    assert (rows[0]["views"], rows[0]["likes"], rows[0]["completion_rate"]) == ("2", "1", "0.5")
    assert rows[1]["views"] == "0"
    assert rows[1]["visibility"] == "private"


@pytest.mark.parametrize("how", ["bearer", "session"])
async def test_the_api_gives_the_same_figures(
    nv_client: Any, make_user: Any, make_video: Any, how: str
) -> None:
    s = await _studio(make_user, make_video)
    if how == "bearer":
        headers = await bearer(s["ada"])
    else:
        await login(nv_client, "ada", PASSWORD)
        headers = {}
    found = await nv_client.get("/api/studio?days=7", headers=headers)
    assert found.status_code == 200, found.text
    doc = found.json()
    assert (doc["views"], doc["viewers"], doc["likes"], doc["days"]) == (2, 2, 1, 7)
    assert doc["sources"] == {"foryou": 1, "search": 1}
    assert [v["id"] for v in doc["videos"]] == [s["clip"].slug, s["quiet"].slug]
    assert (doc["page"], doc["pages"], doc["video_count"]) == (1, 1, 2)
    one = await nv_client.get(f"/api/studio/videos/{s['clip'].slug}", headers=headers)
    assert one.status_code == 200
    assert one.json()["retention"][-1] == 0.5
    assert one.json()["id"] == s["clip"].slug
    later = await nv_client.get("/api/studio?page=2", headers=headers)
    assert later.status_code == 200
    assert later.json()["videos"] == []


async def test_bad_periods_pages_and_videos_are_refused_with_what_to_ask(
    nv_client: Any, make_user: Any, make_video: Any
) -> None:
    s = await _studio(make_user, make_video)
    headers = await bearer(s["ada"])
    for query in ("days=5", "days=abc", "days=-7", "days=30.0", "page=0", "page=x", "page=-1"):
        api = await nv_client.get(f"/api/studio?{query}", headers=headers)
        assert api.status_code == 400, query
        wanted = PERIOD_ERROR if query.startswith("days") else "Pages are numbered from 1"
        assert wanted in api.json()["detail"], (query, api.json())
    one = await nv_client.get(f"/api/studio/videos/{s['clip'].slug}?days=365", headers=headers)
    assert one.status_code == 400
    assert PERIOD_ERROR in one.json()["detail"]
    csv_bad = await nv_client.get("/studio/export.csv?days=1", headers=headers)
    assert csv_bad.status_code == 400
    assert PERIOD_ERROR in csv_bad.json()["detail"]
    for slug in (s["theirs"].slug, "nosuchvideo", "x" * 200):
        missing = await nv_client.get(f"/api/studio/videos/{slug}", headers=headers)
        assert missing.status_code == 404
        assert missing.json()["detail"] == "No such video among yours."

    await login(nv_client, "ada", PASSWORD)
    page = await nv_client.get("/studio?days=5")
    assert page.status_code == 400
    assert PERIOD_ERROR in page.text
    assert 'data-stat="views">2<' in page.text
    page = await nv_client.get("/studio?page=zero")
    assert page.status_code == 400
    assert "Pages are numbered from 1" in page.text
    assert (await nv_client.get(f"/studio/v/{s['theirs'].slug}")).status_code == 404


async def test_the_studio_is_for_creators(nv_client: Any, make_user: Any, make_video: Any) -> None:
    s = await _studio(make_user, make_video)
    anonymous = await nv_client.get("/api/studio")
    assert anonymous.status_code == 401
    headers = await bearer(s["bob"])
    member = await nv_client.get("/api/studio", headers=headers)
    assert member.status_code == 403
    assert "creator role" in member.json()["detail"]
    await login(nv_client, "bob", PASSWORD)
    assert (await nv_client.get("/studio")).status_code == 403
    settings = await nv_client.get("/settings/profile")
    assert settings.status_code == 200
    assert 'href="/studio"' not in settings.text


async def test_long_lists_come_in_pages(
    nv_client: Any, make_user: Any, make_video: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.studio import routes

    s = await _studio(make_user, make_video)
    monkeypatch.setattr(routes, "PER_PAGE", 1)
    await login(nv_client, "ada", PASSWORD)
    second = await nv_client.get("/studio?page=2")
    assert second.status_code == 200
    assert f'data-video="{s["quiet"].slug}"' in second.text
    assert f'data-video="{s["clip"].slug}"' not in second.text
    assert 'href="/studio?days=30&amp;page=1"' in second.text
    assert 'href="/studio?days=30&amp;page=2" aria-current="page"' in second.text
    beyond = await nv_client.get("/studio?page=9")
    assert beyond.status_code == 200
    assert "data-video=" not in beyond.text.split('id="nv-studio-videos"')[1]
    api = (await nv_client.get("/api/studio?page=1")).json()
    assert [v["id"] for v in api["videos"]] == [s["clip"].slug]
    assert (api["pages"], api["video_count"]) == (2, 2)
