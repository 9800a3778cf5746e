"""The feed hooks the recommender stands on: ``for_you_page`` and ``viewer_signals``."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.recommend.ratings import Signals
from tests.recommend.conftest import cursor_of, send, sign_in, slugs, watched


async def test_hook_for_you_page(nv_plugins: list[Any], nv_settings: Any, tagged: Any) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    class StaffPicks:
        picks: list[int] = []

        @hookimpl(tryfirst=True)
        async def for_you_page(self, request: Any, cursor: str | None, size: int) -> Any:
            if request.query_params.get("staff") != "1" and cursor is None:
                return None
            start = int(cursor or 0)
            if start > 100:
                raise ValueError("That page of staff picks does not exist; start again.")
            ids = self.picks[start : start + size]
            more = start + size < len(self.picks)
            return ids, (str(start + size) if more else None), {i: "staff" for i in ids}

    groups = await tagged({"climb": 8})
    plugin = StaffPicks()
    plugin.picks = [v.id for v in reversed(groups["climb"])][:7]
    nv_plugins.append(plugin)
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        home = await client.get("/?staff=1")
        expected = [v.slug for v in reversed(groups["climb"])]
        assert slugs(home.text) == expected[:5]
        assert home.text.count('data-nv-reason="staff"') == 5
        nxt = await client.get(f"/feed/next?cursor={cursor_of(home.text)}")
        assert slugs(nxt.text) == expected[5:7]
        assert cursor_of(nxt.text) is None
        bad = await client.get("/feed/next?cursor=500")
        assert bad.status_code == 400
        assert "start again" in bad.text
        # Without an answer: the order for everybody.
        plain = await client.get("/")
        assert len(slugs(plain.text)) == 5
        assert 'data-nv-reason="staff"' not in plain.text


async def test_hook_viewer_signals(
    nv_plugins: list[Any], nv_settings: Any, tagged: Any, make_member: Any
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    heard: list[tuple[str, int, Signals]] = []

    class Listener:
        @hookimpl
        def viewer_signals(self, request: Any, viewer: str, signals: list[Any]) -> None:
            heard.extend((viewer, video, found) for video, found in signals)

    class Broken:
        @hookimpl
        def viewer_signals(self, request: Any, viewer: str, signals: list[Any]) -> None:
            raise RuntimeError("a broken listener never breaks the request")

    groups = await tagged({"climb": 2})
    video = groups["climb"][0]
    nv_plugins.extend([Listener(), Broken()])
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        batch = [watched(video, loved=True), watched(groups["climb"][1], loved=False)]
        await send(client, batch)
        cookie = client.cookies["nv_viewer"]
        assert [(v, i) for v, i, _ in heard] == [
            (f"s{cookie}", video.id),
            (f"s{cookie}", groups["climb"][1].id),
        ]
        assert heard[0][2].completed
        assert heard[0][2].duration_ms == video.duration_ms
        assert heard[1][2].skipped
        # A resent batch is a duplicate: nobody hears of it twice.
        heard.clear()
        await send(client, batch)
        assert heard == []
        member = await make_member("liker")
        await sign_in(client, "liker")
        csrf = {"x-csrftoken": client.cookies.get("nv_csrf", "")}
        assert (
            await client.put(f"/social/videos/{video.slug}/like", headers=csrf)
        ).status_code == 200
        assert (
            await client.delete(f"/social/videos/{video.slug}/like", headers=csrf)
        ).status_code == 200
        assert heard == [(f"u{member.id}", video.id, Signals(liked=True))]


async def test_hook_for_you_exclude(nv_plugins: list[Any], nv_settings: Any, tagged: Any) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    groups = await tagged({"climb": 9})
    limited = {groups["climb"][-1].id, groups["climb"][3].id}
    asked: list[Any] = []

    class Moderation:
        @hookimpl
        async def for_you_exclude(
            self, video_ids: list[int], viewer: Any, resources: Any
        ) -> list[int]:
            assert resources.settings is not None
            asked.append(viewer)
            return [v for v in video_ids if v in limited]

    class Broken:
        @hookimpl
        def for_you_exclude(self, video_ids: list[int], viewer: Any) -> list[int]:
            raise RuntimeError("a broken plugin leaves nothing out")

    nv_plugins.extend([Moderation(), Broken()])
    hidden = {v.slug for v in groups["climb"] if v.id in limited}
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        # The order everybody shares...
        html = (await client.get("/")).text
        shown = slugs(html)
        nxt = cursor_of(html)
        while nxt:
            page = (await client.get(f"/feed/next?cursor={nxt}")).text
            shown += slugs(page)
            nxt = cursor_of(page)
        assert len(shown) == 7
        assert not hidden & set(shown)
        assert None in asked
        # ...and a personal one: the refused pick is replaced.
        await send(client, [watched(groups["climb"][0], loved=True)])
        batch = (await client.get("/feed/next?cursor=r1")).text
        assert len(slugs(batch)) == 5
        assert not hidden & set(slugs(batch))
