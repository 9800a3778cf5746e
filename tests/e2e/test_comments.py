"""A member comments on a video in a real browser: text stays text, mentions link, replies,
edits and deletes work in place; the comment sheet opens from a feed card; search finds a
video while the word is typed letter by letter."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import slug_of

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
MEMBER = "yarn_talker"
HOSTILE = "<script>window.pwned = 1</script>"


@pytest.fixture(scope="module")
def demo_videos(live_server: Any) -> Any:
    """The live server with the demo videos (the command is idempotent) and a member."""
    result = live_server.cli("demo", "--seconds", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    made = live_server.cli("user", "create", MEMBER, "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stdout + made.stderr
    return live_server


async def log_in(page: Any, url: str) -> None:
    await page.goto(url + "/login")
    await page.fill("#username", MEMBER)
    await page.fill("#password", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(url + "/")


async def test_comment_reply_edit_delete_on_the_video_page(
    demo_videos: Any, desktop_page: Any
) -> None:
    page, url = desktop_page, demo_videos.url
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete this comment?"
    await log_in(page, url)
    slug = await slug_of(page, url, "fractals")
    await page.goto(f"{url}/v/{slug}")

    panel = page.locator("#comments .nv-comments")
    box = panel.locator("form.nv-comment-form textarea[name=text]")
    await box.wait_for()
    await box.fill(f"{HOSTILE} lovely @demo_bob #fractals")
    await panel.locator("form.nv-comment-form button[type=submit]").click()

    comment = panel.locator(".nv-thread").first.locator("article.nv-comment").first
    text = comment.locator(".nv-comment-text")
    await text.get_by_text("lovely").wait_for()
    # Shown as the characters typed, never run as a script.
    assert HOSTILE in await text.inner_text()
    assert await page.evaluate("window.pwned === undefined")
    assert await text.locator("script").count() == 0
    mention = text.locator("a.nv-mention")
    assert await mention.inner_text() == "@demo_bob"
    assert await mention.get_attribute("href") == "/u/demo_bob"
    assert await text.locator("a.nv-hashtag").get_attribute("href") == "/tag/fractals"
    count = page.locator(f'.nv-card [data-comment-count="{slug}"]')
    assert await count.inner_text() == "1"

    # Reply in place.
    await comment.get_by_role("button", name="Reply").click()
    reply_box = page.locator("form.nv-reply-form textarea")
    await reply_box.fill("and a reply")
    await page.locator("form.nv-reply-form button[type=submit]").click()
    reply = panel.locator(".nv-replies article.nv-comment").first
    await reply.get_by_text("and a reply").wait_for()
    assert "to @yarn_talker" in await reply.inner_text()
    await page.wait_for_function(
        f"document.querySelector('.nv-card [data-comment-count=\"{slug}\"]').textContent === '2'"
    )

    # Like the reply: the heart fills and counts, and stays so after a reload.
    heart = reply.locator("button.nv-comment-like")
    assert await heart.get_attribute("aria-pressed") == "false"
    await heart.click()
    await panel.locator('.nv-replies button.nv-comment-like[aria-pressed="true"]').wait_for()
    assert await panel.locator(".nv-replies button.nv-comment-like").inner_text() == "1"
    await page.reload()
    liked = panel.locator('.nv-replies button.nv-comment-like[aria-pressed="true"]')
    await liked.wait_for()
    assert await liked.get_attribute("aria-label") == "Like this comment, 1 like"
    comment = panel.locator(".nv-thread").first.locator("article.nv-comment").first

    # Edit in place.
    await comment.get_by_role("button", name="Edit").click()
    editor = panel.locator("form.nv-edit-form textarea")
    assert HOSTILE in await editor.input_value()
    await editor.fill("changed my mind @demo_bob")
    await panel.locator("form.nv-edit-form button[type=submit]").click()
    edited = panel.locator(".nv-thread").first.locator("article.nv-comment").first
    await edited.get_by_text("changed my mind").wait_for()
    assert "edited" in await edited.inner_text()

    # Delete: the reply keeps the thread, shown under "comment deleted"; then it goes too.
    await edited.get_by_role("button", name="Delete").click()
    await panel.get_by_text("comment deleted").wait_for()
    assert await panel.get_by_text("and a reply").count() == 1
    await panel.locator(".nv-replies").get_by_role("button", name="Delete").click()
    await panel.locator(".nv-thread").wait_for(state="detached")
    await page.wait_for_function(
        f"document.querySelector('.nv-card [data-comment-count=\"{slug}\"]').textContent === '0'"
    )
    assert page.console_errors == []


async def test_the_comment_sheet_opens_from_a_feed_card(demo_videos: Any, phone_page: Any) -> None:
    page, url = phone_page, demo_videos.url
    await log_in(page, url)
    card = page.locator("article.nv-card").first
    await card.locator(".nv-card-comments").click()
    sheet = card.locator(".nv-comments-sheet")
    await sheet.locator("textarea[name=text]").wait_for()
    assert await sheet.is_visible()
    assert await card.locator(".nv-card-comments").get_attribute("aria-expanded") == "true"
    await sheet.locator("textarea[name=text]").fill("   ")
    await sheet.locator("form.nv-comment-form").evaluate("f => f.requestSubmit()")
    await sheet.get_by_text("the comment is empty").wait_for()
    await sheet.get_by_role("button", name="Close comments").click()
    assert await sheet.is_hidden()
    assert page.console_errors == [] or all("400" in e for e in page.console_errors)


async def test_search_finds_a_video_while_typing(demo_videos: Any, desktop_page: Any) -> None:
    page, url = desktop_page, demo_videos.url
    slug = await slug_of(page, url, "fractals")
    await page.goto(url + "/")
    await page.click("a.nv-nav-search")
    await page.wait_for_url(url + "/search")
    await page.locator("#nv-search-q").press_sequentially("fract", delay=120)
    hit = page.locator(f'.nv-search-video a[href="/v/{slug}"]')
    await hit.wait_for()
    assert "fract" in page.url
    await hit.click()
    await page.wait_for_url(f"{url}/v/{slug}")
    assert page.console_errors == []
