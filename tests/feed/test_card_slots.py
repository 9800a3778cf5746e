"""Plugins put fragments on feed cards: ``video_overlay`` under the caption, on every card
the page, the next batches and a video's own page render."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid.app import create_app
from nichevid.plugins import hookimpl
from nichevid.testing import client_for


class Badges:
    @hookimpl
    def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
        if slot == "video_overlay":
            return f'<p class="badge">{escape(context["video"].slug)} <new></p>'
        return None


async def test_the_overlay_slot_is_on_every_card(
    nv_plugins: list[Any], nv_settings: Any, make_videos: Any
) -> None:
    nv_plugins.append(Badges())
    videos = await make_videos(7, caption="a caption")
    async with client_for(create_app(nv_settings, plugins=nv_plugins)) as client:
        home = (await client.get("/")).text
        shown = [v.slug for v in videos if f'data-nv-slug="{v.slug}"' in home]
        assert shown
        for slug in shown:
            assert f'<p class="badge">{slug} <new></p>' in home
            card = home[home.index(f'data-nv-slug="{slug}"') :]
            # Inside the overlay, after the caption and before the action buttons.
            assert card.index("nv-card-caption") < card.index('class="badge"')
            assert card.index('class="badge"') < card.index("nv-card-actions")
        cursor = home.split('hx-get="/feed/next?cursor=')[1].split('"')[0].replace("&amp;", "&")
        more = await client.get(f"/feed/next?cursor={cursor}", headers={"HX-Request": "true"})
        rest = [v.slug for v in videos if f'data-nv-slug="{v.slug}"' in more.text]
        assert rest
        assert all(f'<p class="badge">{slug} <new></p>' in more.text for slug in rest)
        page = (await client.get(f"/v/{videos[0].slug}")).text
        assert f'<p class="badge">{videos[0].slug} <new></p>' in page
