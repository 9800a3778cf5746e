"""For You for one viewer: real-time feedback, caps, the loop breaker, the seen-filter, modes."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.media.tables import Video
from tests.recommend.conftest import cursor_of, send, sign_in, slugs, watched

OPEN = {"per_hashtag": 5, "loop_share": 1.0, "exploration": 0.0}


@pytest.fixture
def nv_settings(nv_settings_factory: Any, request: Any) -> Any:
    recommend = getattr(request, "param", OPEN)
    return nv_settings_factory(server={"page_cache_seconds": 30}, plugin={"recommend": recommend})


def tags_of(found: list[str], groups: dict[str, list[Video]]) -> list[str]:
    by_slug = {v.slug: tag for tag, videos in groups.items() for v in videos}
    return [by_slug[s] for s in found]


async def test_the_next_batch_follows_what_the_viewer_just_did(nv_client: Any, tagged: Any) -> None:
    groups = await tagged({"climb": 10, "knit": 10})
    first = await nv_client.get("/")
    shown = slugs(first.text)
    assert len(shown) == 5
    # Skip every climbing video, watch every knitting video to the end.
    await send(
        nv_client,
        [watched(v, loved=False) for v in groups["climb"][:3]]
        + [watched(v, loved=True) for v in groups["knit"][:3]],
    )
    assert "nv_viewer" in nv_client.cookies
    batch = await nv_client.get(f"/feed/next?cursor={cursor_of(first.text)}")
    assert batch.status_code == 200
    assert "private" in batch.headers["cache-control"]
    tags = tags_of(slugs(batch.text), groups)
    assert tags.count("knit") == 5, tags
    # The other way round: the very next batch turns.
    await send(
        nv_client,
        [watched(v, loved=True) for v in groups["climb"][3:9]]
        + [watched(v, loved=False) for v in groups["knit"][3:9]],
    )
    turned = await nv_client.get(f"/feed/next?cursor={cursor_of(batch.text)}")
    assert tags_of(slugs(turned.text), groups).count("climb") >= 1
    # Nothing the viewer saw or rated comes back.
    seen = {v.slug for v in groups["climb"][:9] + groups["knit"][:9]} | set(slugs(batch.text))
    assert not seen & set(slugs(turned.text))


async def test_a_personal_batch_is_never_served_to_another_visitor(
    nv_client: Any, nv_app: Any, tagged: Any
) -> None:
    from nichevid.testing import client_for

    groups = await tagged({"climb": 8, "knit": 8})
    # Climbing is the oldest, so the shared order (newest first, nothing watched) differs.
    await send(nv_client, [watched(v, loved=True) for v in groups["climb"][:3]])
    personal = await nv_client.get("/feed/next?cursor=m1.5")
    assert tags_of(slugs(personal.text), groups).count("climb") == 5
    async with client_for(nv_app) as stranger:
        shared = await stranger.get("/feed/next?cursor=m1.5")
    assert slugs(shared.text) != slugs(personal.text)


async def test_members_get_their_own_batches_after_a_like(
    nv_client: Any, tagged: Any, make_member: Any
) -> None:
    groups = await tagged({"climb": 8, "knit": 8})
    await make_member("reader")
    await sign_in(nv_client, "reader")
    csrf = {"x-csrftoken": nv_client.cookies.get("nv_csrf", "")}
    for video in groups["climb"][:2]:
        liked = await nv_client.put(f"/social/videos/{video.slug}/like", headers=csrf)
        assert liked.status_code == 200
    batch = await nv_client.get("/feed/next?cursor=r1")
    assert tags_of(slugs(batch.text), groups).count("climb") == 5


@pytest.mark.parametrize(
    "nv_settings", [{"per_creator": 1, "per_hashtag": 2, "exploration": 0.0}], indirect=True
)
async def test_caps_per_creator_and_hashtag(nv_client: Any, tagged: Any, make_member: Any) -> None:
    groups = await tagged({"climb": 6, "knit": 6, "cook": 6})
    # One creator with many climbing videos, loved.
    from nichevid.testing.factories import ready_video

    prolific = await make_member("prolific", role="creator")
    extra = [
        await ready_video(prolific, caption="#climb", hashtags=["climb"], duration_ms=20_000)
        for _ in range(6)
    ]
    groups["climb"] += extra
    await send(nv_client, [watched(v, loved=True) for v in groups["climb"][:4]])
    batch = await nv_client.get("/feed/next?cursor=r1")
    found = slugs(batch.text)
    assert len(found) == 5
    assert sum(1 for s in found if s in {v.slug for v in extra}) <= 1
    assert tags_of(found, groups).count("climb") <= 2


@pytest.mark.parametrize(
    "nv_settings",
    [{"per_hashtag": 5, "loop_share": 0.4, "loop_window": 10, "exploration": 0.0}],
    indirect=True,
)
async def test_the_loop_breaker_keeps_one_topic_from_filling_the_session(
    nv_client: Any, tagged: Any
) -> None:
    groups = await tagged({"climb": 25, "knit": 12, "cook": 12, "bake": 12})
    await send(nv_client, [watched(v, loved=True) for v in groups["climb"][:5]])
    order: list[str] = []
    cursor = "r0"
    for _ in range(5):
        html = (await nv_client.get(f"/feed/next?cursor={cursor}")).text
        order += tags_of(slugs(html), groups)
        cursor = cursor_of(html) or ""
        # The viewer keeps loving climbing.
        await send(nv_client, [watched(v, loved=True) for v in groups["climb"] if v.slug in html])
    assert len(order) == 25
    for start in range(len(order) - 10 + 1):
        assert order[start : start + 10].count("climb") <= 4, " ".join(order)
    assert order.count("climb") >= 8  # still the viewer's favourite, just not all of it


@pytest.mark.parametrize("nv_settings", [{"exploration": 0.2, "per_hashtag": 5}], indirect=True)
async def test_fresh_videos_get_exploration_slots(nv_client: Any, tagged: Any) -> None:
    groups = await tagged({"climb": 10, "knit": 10})
    await send(nv_client, [watched(v, loved=True) for v in groups["knit"][:3]])
    html = (await nv_client.get("/feed/next?cursor=r1")).text
    assert 'data-nv-reason="fresh"' in html


async def test_a_bad_cursor_is_a_clear_400(nv_client: Any, tagged: Any) -> None:
    groups = await tagged({"climb": 3})
    await send(nv_client, [watched(groups["climb"][0], loved=True)])
    response = await nv_client.get("/feed/next?cursor=zzz';--")
    assert response.status_code == 400
    assert "reload the feed" in response.text


@pytest.mark.parametrize("nv_settings", [{**OPEN, "batches_ahead": 2}], indirect=True)
async def test_one_ranking_pass_serves_the_batches_ahead_until_the_viewer_acts(
    nv_client: Any, tagged: Any, make_member: Any, monkeypatch: Any
) -> None:
    from nichevid.recommend import serve

    await tagged({"climb": 12, "knit": 12})
    passes: list[int] = []
    ranked = serve.personal

    def counted(*args: Any, **kwargs: Any) -> list[serve.Pick]:
        passes.append(1)
        return ranked(*args, **kwargs)

    monkeypatch.setattr(serve, "personal", counted)
    await make_member("reader")
    await sign_in(nv_client, "reader")
    first = await nv_client.get("/")
    page = [slugs(first.text)]
    cursor = cursor_of(first.text)
    for _ in range(2):
        batch = await nv_client.get(f"/feed/next?cursor={cursor}")
        page.append(slugs(batch.text))
        cursor = cursor_of(batch.text)
    # Three batches of five, different cards, one ranking pass.
    assert [len(b) for b in page] == [5, 5, 5]
    assert len({s for b in page for s in b}) == 15
    assert len(passes) == 1
    # The queue is spent: the fourth batch ranks again.
    fourth = await nv_client.get(f"/feed/next?cursor={cursor}")
    assert len(passes) == 2
    # A like makes the very next batch rank afresh, though cards were ready.
    csrf = {"x-csrftoken": nv_client.cookies.get("nv_csrf", "")}
    liked = await nv_client.put(f"/social/videos/{slugs(fourth.text)[0]}/like", headers=csrf)
    assert liked.status_code == 200
    await nv_client.get(f"/feed/next?cursor={cursor_of(fourth.text)}")
    assert len(passes) == 3


@pytest.mark.parametrize("nv_settings", [{**OPEN, "batches_ahead": 3}], indirect=True)
async def test_a_card_ranked_ahead_and_refused_later_is_not_handed_out(
    nv_plugins: list[Any], nv_settings: Any, tagged: Any
) -> None:
    from nichevid.app import create_app
    from nichevid.plugins import hookimpl
    from nichevid.recommend import session
    from nichevid.recommend.stores import viewer_stores
    from nichevid.testing import client_for

    groups = await tagged({"climb": 12, "knit": 12})
    refused: set[int] = set()

    class Moderation:
        @hookimpl
        def for_you_exclude(self, video_ids: list[int], viewer: Any) -> list[int]:
            return [v for v in video_ids if v in refused]

    nv_plugins.append(Moderation())
    app = create_app(nv_settings, plugins=nv_plugins)
    async with client_for(app) as client:
        await send(client, [watched(groups["knit"][0], loved=True)])
        first = await client.get("/feed/next?cursor=m1.0")
        assert len(slugs(first.text)) == 5
        viewer = "s" + client.cookies["nv_viewer"]
        queued = (await session.shown(session.States(*viewer_stores(app)), viewer)).ahead
        assert len(queued) == 15
        # Two cards of the next batch are removed after the pass that ranked them.
        refused.update(int(video) for video, _ in queued[:2])
        later = await client.get(f"/feed/next?cursor={cursor_of(first.text)}")
        by_slug = {v.slug: v.id for videos in groups.values() for v in videos}
        ids = [by_slug[s] for s in slugs(later.text)]
        assert ids == [int(video) for video, _ in queued[2:7]]


async def test_cards_rendered_once_keep_each_viewers_own_marks(
    nv_client: Any, nv_app: Any, tagged: Any, make_member: Any, monkeypatch: Any
) -> None:
    import re

    import httpx

    from nichevid.feed import personal

    groups = await tagged({"climb": 5})
    kept = groups["climb"][2].slug
    rendered: list[int] = []
    cards_by_ids = personal.cards_by_ids

    async def counted(resources: Any, ids: list[int]) -> Any:
        rendered.extend(ids)
        return await cards_by_ids(resources, ids)

    monkeypatch.setattr(personal, "cards_by_ids", counted)
    pressed = re.compile(r'data-nv-bookmark data-nv-action aria-pressed="true"')
    await make_member("keeper")
    await make_member("other")
    await sign_in(nv_client, "keeper")
    csrf = {"x-csrftoken": nv_client.cookies.get("nv_csrf", "")}
    assert (await nv_client.put(f"/social/videos/{kept}/bookmark", headers=csrf)).status_code == 200
    mine = await nv_client.get("/feed/next?cursor=m1.0")
    # More browsers on the same running app (and so the same process's renders).
    transport = httpx.ASGITransport(app=nv_app, client=("127.0.0.1", 50001))
    base = "http://127.0.0.1:8000"
    async with (
        httpx.AsyncClient(transport=transport, base_url=base) as other,
        httpx.AsyncClient(transport=transport, base_url=base) as guest,
    ):
        await sign_in(other, "other")
        theirs = await other.get("/feed/next?cursor=m1.0")
        # A visitor's personal batch (they sent watch events) has the guests' cards.
        await send(guest, [watched(groups["climb"][0], loved=True)])
        visitor = await guest.get("/feed/next?cursor=m1.0")
    everything = sorted(v.slug for v in groups["climb"])
    assert sorted(slugs(mine.text)) == sorted(slugs(theirs.text)) == everything
    # Both members' cards came from one render; the visitor's from another.
    assert len(rendered) == 5 + 4
    # The bookmark is the keeper's alone, on the right card, and each card keeps its reason.
    card = mine.text.split(f'data-nv-slug="{kept}"')[1].split("</article>")[0]
    assert pressed.search(card)
    assert len(pressed.findall(mine.text)) == 1
    assert not pressed.search(theirs.text)
    assert "Log in to bookmark" in visitor.text
    assert "Log in to bookmark" not in theirs.text
    for html in (mine.text, theirs.text, visitor.text):
        assert html.count("data-nv-reason=") == len(slugs(html))
        assert "nv-reason-of-this-card" not in html


async def test_a_series_the_viewer_watched_goes_on_with_its_next_part(
    nv_client: Any, tagged: Any, make_member: Any
) -> None:
    from nichevid.playlists import services as playlists
    from nichevid.testing.factories import ready_video

    await tagged({"climb": 8, "knit": 8})
    maker = await make_member("series_maker", role="creator")
    parts = [
        await ready_video(maker, caption=f"#yarn part {n}", hashtags=["yarn"]) for n in (1, 2, 3)
    ]
    playlist = await playlists.create_playlist(maker, "Socks from scratch")
    for part in parts:
        await playlists.add_video(maker, int(playlist.id), part.slug)
    first = await nv_client.get("/")
    await send(nv_client, [watched(parts[0], loved=True)])
    batch = await nv_client.get(f"/feed/next?cursor={cursor_of(first.text)}")
    shown = slugs(batch.text)
    assert shown[0] == parts[1].slug, shown
    why = await nv_client.get(f"/feed/why/{parts[1].slug}", headers={"HX-Request": "true"})
    assert "It comes next after “#yarn part 1” in its playlist." in why.text
    # A part skipped offers nothing as the next part of a series.
    await send(nv_client, [watched(parts[1], loved=False)])
    after_skip = await nv_client.get(f"/feed/next?cursor={cursor_of(batch.text)}")
    assert slugs(after_skip.text)
    for slug in slugs(after_skip.text):
        why = await nv_client.get(f"/feed/why/{slug}", headers={"HX-Request": "true"})
        assert "comes next after" not in why.text, slug
