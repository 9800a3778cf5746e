"""Where people find the moderation pages: report links on cards, videos, comments and
profiles, and the links in the settings menu by role."""

from __future__ import annotations

from typing import Any

from nichevid.comments.services import post_comment

from .conftest import browser


async def test_report_links_on_pages(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    comment = await post_comment(nv_resources, people["bob"], video, "a comment")
    async with browser(nv_client, "ann", 50050) as ann:
        page = await ann.get(f"/v/{video.slug}")
        assert f'href="/report/video/{video.slug}"' in page.text
        assert "Report this video" in page.text
        profile = await ann.get("/u/cara")
        assert 'href="/report/account/cara"' in profile.text
        own = await ann.get("/u/ann")
        assert "/report/account/ann" not in own.text
        panel = await ann.get(f"/v/{video.slug}/comments")
        assert f'href="/report/comment/{comment.id}"' in panel.text
    async with browser(nv_client, "bob", 50051) as bob:
        panel = await bob.get(f"/v/{video.slug}/comments")
        assert f'href="/report/comment/{comment.id}"' not in panel.text  # one's own comment
    feed = await nv_client.get("/", headers={"accept": "text/html"})
    assert f'href="/report/video/{video.slug}"' in feed.text


async def test_the_settings_menu_follows_the_role(nv_client: Any, people: dict[str, Any]) -> None:
    async with browser(nv_client, "ann", 50052) as ann:
        menu = (await ann.get("/settings/profile")).text
        assert 'href="/moderation/mine/reports"' in menu
        assert 'href="/moderation"' not in menu
    async with browser(nv_client, "mod", 50053) as mod:
        menu = (await mod.get("/settings/profile")).text
        assert 'href="/moderation"' in menu
        assert 'href="/moderation/audit"' in menu
        assert 'href="/moderation/stats"' not in menu
    async with browser(nv_client, "root", 50054) as root:
        assert 'href="/moderation/stats"' in (await root.get("/settings/profile")).text
