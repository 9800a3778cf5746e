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


async def test_the_menus_follow_the_role(nv_client: Any, people: dict[str, Any]) -> None:
    async with browser(nv_client, "ann", 50052) as ann:
        menu = (await ann.get("/settings/profile")).text
        assert 'href="/moderation/mine/reports"' in menu
        assert 'href="/moderation"' not in menu
        assert 'href="/admin"' not in menu
    async with browser(nv_client, "mod", 50053) as mod:
        # Moderators reach the queue through the operators' home.
        assert 'href="/admin"' in (await mod.get("/settings/profile")).text
        admin = (await mod.get("/admin", headers={"accept": "text/html"})).text
        assert 'href="/moderation"' in admin
        assert 'href="/moderation/audit"' in admin
        assert 'href="/moderation/stats"' not in admin
    async with browser(nv_client, "root", 50054) as root:
        admin = (await root.get("/admin", headers={"accept": "text/html"})).text
        assert 'href="/moderation/stats"' in admin
