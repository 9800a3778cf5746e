"""The viewer's say: why a card is shown, not interested, interests, feed order, reset."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.recommend.conftest import SAME_ORIGIN, cursor_of, send, sign_in, slugs, watched

OPEN = {"per_hashtag": 5, "loop_share": 1.0, "exploration": 0.0}


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    return nv_settings_factory(server={"page_cache_seconds": 30}, plugin={"recommend": OPEN})


def csrf(client: Any) -> dict[str, str]:
    return {**SAME_ORIGIN, "x-csrftoken": client.cookies.get("nv_csrf", "")}


def reasons(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="v-([^"]+)"[^>]*data-nv-reason="([^"]+)"', html))


async def hide(client: Any, slug: str, kind: str, tag: str = "") -> Any:
    await client.get("/")  # a CSRF cookie
    data = {"video": slug, "kind": kind, **({"tag": tag} if tag else {})}
    return await client.post("/feed/not-interested", data=data, headers=csrf(client))


async def test_every_card_can_say_why_it_is_there(nv_client: Any, tagged: Any) -> None:
    groups = await tagged({"climb": 6, "knit": 6})
    home = await nv_client.get("/")
    first = slugs(home.text)[0]
    assert f'hx-get="/feed/why/{first}"' in home.text
    generic = await nv_client.get(f"/feed/why/{first}")
    assert "popular or new" in generic.text
    await send(nv_client, [watched(v, loved=True) for v in groups["knit"][:2]])
    batch = (await nv_client.get("/feed/next?cursor=r1")).text
    found = reasons(batch)
    slug, reason = next(iter(found.items()))
    assert reason == "tag:knit"
    answer = await nv_client.get(f"/feed/why/{slug}")
    assert "#knit" in answer.text
    assert (await nv_client.get("/feed/why/nope")).status_code == 404


@pytest.mark.parametrize("kind", ["video", "creator", "hashtag"])
async def test_not_interested_keeps_it_out_of_for_you(
    nv_client: Any, tagged: Any, make_member: Any, kind: str
) -> None:
    from nichevid.testing.factories import ready_video

    groups = await tagged({"climb": 6, "knit": 6})
    prolific = await make_member("prolific", role="creator")
    theirs = [await ready_video(prolific, caption="#knit", hashtags=["knit"]) for _ in range(3)]
    target = theirs[0]
    assert "nv_viewer" not in nv_client.cookies
    answer = await hide(nv_client, target.slug, kind, tag="knit" if kind == "hashtag" else "")
    assert answer.status_code == 200, answer.text
    assert "Got it" in answer.text
    assert "nv_viewer" in nv_client.cookies  # a browser the feed did not know gets an id
    shown: list[str] = []
    cursor: str | None = "r0"
    while cursor:
        html = (await nv_client.get(f"/feed/next?cursor={cursor}")).text
        shown += slugs(html)
        cursor = cursor_of(html)
    assert target.slug not in shown
    knit = {v.slug for v in groups["knit"] + theirs}
    if kind == "creator":
        assert not {v.slug for v in theirs} & set(shown)
    if kind == "hashtag":
        assert not knit & set(shown)
    assert {v.slug for v in groups["climb"]} <= set(shown)


async def test_bad_choices_are_refused_with_a_reason(nv_client: Any, tagged: Any) -> None:
    video = (await tagged({"climb": 1}))["climb"][0]
    wrong_kind = await hide(nv_client, video.slug, "planet")
    assert wrong_kind.status_code == 400
    assert "Choose what to hide" in wrong_kind.text
    wrong_tag = await hide(nv_client, video.slug, "hashtag", tag="knit")
    assert wrong_tag.status_code == 400
    assert "not on this video" in wrong_tag.text
    assert (await hide(nv_client, "missing", "video")).status_code == 404
    mode = await nv_client.post("/feed/settings", data={"mode": "chaos"}, headers=csrf(nv_client))
    assert mode.status_code == 400
    assert "feed orders offered" in mode.text


async def test_a_viewer_may_choose_a_feed_that_is_not_personalised(
    nv_client: Any, tagged: Any
) -> None:
    groups = await tagged({"climb": 6, "knit": 6})
    await send(nv_client, [watched(v, loved=True) for v in groups["climb"][:2]])
    await nv_client.get("/")
    saved = await nv_client.post(
        "/feed/settings", data={"mode": "chronological"}, headers=csrf(nv_client)
    )
    assert saved.status_code == 303
    page = await nv_client.get("/feed/settings?saved=1")
    assert 'value="chronological" checked' in page.text
    batch = (await nv_client.get("/")).text
    newest = [v.slug for v in reversed(groups["knit"])]
    assert slugs(batch) == newest[:5]
    assert set(reasons(batch).values()) == {"newest"}


async def test_picked_interests_lead_the_first_batches(nv_client: Any, tagged: Any) -> None:
    groups = await tagged({"climb": 6, "knit": 6, "cook": 6})
    home = (await nv_client.get("/")).text
    assert 'action="/feed/interests"' in home
    assert 'value="climb"' in home
    picked = await nv_client.post(
        "/feed/interests", data={"interest": ["climb"]}, headers=csrf(nv_client)
    )
    assert picked.status_code == 303
    again = (await nv_client.get("/")).text
    assert 'action="/feed/interests"' not in again
    climb = {v.slug for v in groups["climb"]}
    assert set(slugs(again)) <= climb
    assert set(reasons(again).values()) == {"interest:climb"}


async def test_reset_forgets_what_was_learned(
    nv_client: Any, tagged: Any, make_member: Any
) -> None:
    groups = await tagged({"climb": 8, "knit": 8})
    await make_member("resetter")
    await sign_in(nv_client, "resetter")
    await send(nv_client, [watched(v, loved=True) for v in groups["climb"][:3]])
    learned = (await nv_client.get("/feed/next?cursor=r1")).text
    assert set(reasons(learned).values()) == {"tag:climb"}
    settings = await nv_client.get("/feed/settings")
    assert "Reset my feed" in settings.text
    assert 'href="/feed/settings" aria-current="page"' in settings.text
    reset = await nv_client.post("/feed/reset", headers=csrf(nv_client))
    assert reset.status_code == 303
    fresh = (await nv_client.get("/")).text
    assert "tag:climb" not in fresh
    assert 'action="/feed/interests"' in fresh  # asked again


async def test_garbage_choices_are_refused_or_trimmed_and_kept_choices_survive(
    nv_client: Any, tagged: Any
) -> None:
    from nichevid.recommend import session
    from nichevid.recommend.feed import store, viewer_key

    video = (await tagged({"climb": 2}))["climb"][0]
    assert (await hide(nv_client, video.slug, "creator")).status_code == 200
    bad = await nv_client.post(
        "/feed/unhide", data={"kind": "planet", "value": "x"}, headers=csrf(nv_client)
    )
    assert bad.status_code == 400
    assert "show again" in bad.text
    # A flood of long interests is cut to what the feed keeps; nothing else changes.
    flood = {"interest": [f"#{n}{'x' * 500}" for n in range(200)]}
    saved = await nv_client.post("/feed/settings", data=flood, headers=csrf(nv_client))
    assert saved.status_code == 303

    class Request:
        def __init__(self, client: Any) -> None:
            self.app = client.app
            self.scope = {"user": None}
            self.cookies = dict(client.cookies)

    fake = Request(nv_client)
    key = viewer_key(fake)
    assert key is not None
    kept = await session.choices(store(fake), key)
    assert len(kept.interests) == session.MAX_INTERESTS
    assert all(len(tag) <= 64 for tag in kept.interests)
    assert kept.hidden_creators == [video.owner]
    # A damaged record is a fresh start, never an error page.
    await store(fake).records.set(f"s:{key}", b"{not json")
    await store(fake).records.set(f"f:{key}", b"[1, 2")
    assert (await nv_client.get("/feed/next?cursor=r1")).status_code == 200
    # So is a queue of cards ranked ahead that holds something else than [video, reason].
    await nv_client.get("/feed/next?cursor=r2")
    shown = await session.shown(store(fake), key)
    shown.ahead, shown.ahead_mark = [["x"], 7], shown.ahead_mark or "m"
    await session.save_shown(store(fake), key, shown)
    again = await nv_client.get("/feed/next?cursor=r3")
    assert again.status_code == 200
