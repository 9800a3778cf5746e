"""Accessibility in a real browser: axe-core finds no serious or critical problem on the
main pages at phone and desktop sizes, and the feed works from the keyboard alone.

axe-core is a test asset (``tests/e2e/vendor/``), injected into the page under test; the
site itself never serves it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import DESKTOP, PHONE, shot

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
PASSWORD = "correct horse battery staple"
CREATOR = "a11y_maker"
CARDS = "article.nv-card[data-nv-slug]"
# Focus shows if the focused element has an outline of 2px or more, or a box shadow.
FOCUS_STYLE = """el => {
  const s = getComputedStyle(el);
  return {
    visible: el.matches(':focus-visible'),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    shadow: s.boxShadow !== 'none',
  };
}"""


@pytest.fixture(scope="module")
async def site(live_server: Any, browser: Any) -> dict[str, Any]:
    """The live server with the demo videos, a signed-in creator's browser state (signed in
    once: logins are rate-limited) and the slug of a demo video."""
    result = live_server.cli("demo", "--seconds", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    made = live_server.cli(
        "user", "create", CREATOR, "--role", "creator", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stdout + made.stderr
    context = await browser.new_context()
    await without_watch_events(context)
    try:
        page = await context.new_page()
        await page.goto(live_server.url + "/login")
        await page.fill("#username", CREATOR)
        await page.fill("#password", PASSWORD)
        await page.click("main form button[type=submit]")
        await page.wait_for_url(live_server.url + "/")
        response = await page.request.get(f"{live_server.url}/api/search?type=videos&q=fractals")
        videos = json.loads(await response.text())["videos"]
        assert videos, "no demo video matches 'fractals'"
        state = await context.storage_state()
    finally:
        await context.close()
    return {"server": live_server, "state": state, "video": str(videos[0]["id"])}


async def without_watch_events(context: Any) -> None:
    """Answer the feed's watch events in the browser: these tests do not look at them, and
    kept out of the shared server they leave the For You order of later tests as it was."""
    await context.route(
        "**/api/events",
        lambda route: route.fulfill(status=202, content_type="application/json", body="{}"),
    )


async def open_page(
    browser: Any, site: dict[str, Any], viewport: dict[str, int], signed_in: bool
) -> Any:
    """A page in a new context at ``viewport``, signed in as the creator or not."""
    context = await browser.new_context(
        viewport=viewport,
        has_touch=viewport is PHONE,
        is_mobile=viewport is PHONE,
        locale="en-US",
        storage_state=site["state"] if signed_in else None,
    )
    await without_watch_events(context)
    return await context.new_page()


def describe(violations: list[dict[str, Any]]) -> str:
    """One block per violated rule: impact, rule, help text and the offending elements."""
    lines = []
    for rule in violations:
        lines.append(f"[{rule['impact']}] {rule['id']}: {rule['help']} ({rule['helpUrl']})")
        for node in rule["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations."""
    await page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = await page.evaluate(
        # Touch targets of 24 px (WCAG 2.2 AA) are checked too: the feed is made for phones.
        "() => axe.run(document, {resultTypes: ['violations'],"
        " rules: {'target-size': {enabled: true}}}).then(r => r.violations)"
    )
    return result


# (id, path, signed in as the creator); "{video}" becomes a demo video's slug.
PAGES = [
    ("feed-anonymous", "/", False),
    ("feed", "/", True),
    ("video", "/v/{video}", True),
    ("profile", "/u/demo_bob", True),
    ("upload", "/upload", True),
    ("search", "/search?q=fractals", True),
    ("studio", "/studio", True),
    ("two-factor", "/settings/two-factor", True),
    ("email", "/settings/email", True),
    ("history", "/history", True),
    ("saved", "/saved", True),
    ("playlists", "/studio/playlists", True),
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(("path", "signed_in"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
async def test_no_serious_or_critical_axe_violations(
    site: dict[str, Any],
    browser: Any,
    request: pytest.FixtureRequest,
    path: str,
    signed_in: bool,
    viewport: dict[str, int],
) -> None:
    url = site["server"].url
    path = path.format(video=site["video"])
    page = await open_page(browser, site, viewport, signed_in)
    try:
        await page.goto(url + path)
        if path == "/" or path.startswith("/v/"):
            # The page as a viewer meets it: the card's video playing, htmx wired up.
            await page.wait_for_function(
                "document.querySelector('video.nv-card-video').currentTime > 0.2",
                timeout=15_000,
            )
        if path.startswith("/search"):
            await page.locator(".nv-search-video").first.wait_for()
        if path.startswith("/u/"):
            await page.locator(".nv-grid-item").first.wait_for()
        if path == "/upload":
            await page.wait_for_function("!document.querySelector('#upload-submit').disabled")
        await page.wait_for_load_state("networkidle")
        violations = await axe_violations(page)
        await shot(page, request, "axe")
    finally:
        await page.context.close()
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"axe-core on {path}:\n{describe(serious)}"
    # Lesser findings are shown with -rA, not failed on.
    print(describe(violations))


async def focus_walk(
    page: Any, card: Any, request: pytest.FixtureRequest, limit: int = 15
) -> list[dict[str, Any]]:
    """Press Tab until focus leaves ``card``; what each press focused and how it showed.
    A screenshot is kept with the like button focused."""
    seen = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = page.locator(":focus")
        if not await card.evaluate("(c) => c.contains(document.activeElement)"):
            break
        info = await focused.evaluate(
            """el => ({
              tag: el.tagName.toLowerCase(),
              cls: el.className && el.className.baseVal === undefined ? el.className : '',
              name: (el.getAttribute('aria-label') || el.textContent).trim().replace(/\\s+/g, ' '),
            })"""
        )
        info.update(await focused.evaluate(FOCUS_STYLE))
        seen.append(info)
        if "nv-action--like" in info["cls"]:
            await shot(page, request, "like-focused")
    return seen


async def focus_reaches(page: Any, index: int) -> None:
    """Wait until card ``index`` holds the focus; a timeout says where the focus is instead."""
    try:
        await page.wait_for_function(
            f"document.activeElement === document.querySelectorAll('{CARDS}')[{index}]",
            timeout=10_000,
        )
    except Exception as error:
        where = await page.evaluate(
            f"""() => ({{
              cards: document.querySelectorAll('{CARDS}').length,
              active: document.activeElement.outerHTML.slice(0, 160),
              scrollY: window.scrollY,
            }})"""
        )
        raise AssertionError(f"card {index} did not take the focus: {where}") from error


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_the_feed_works_from_the_keyboard_with_visible_focus(
    site: dict[str, Any],
    browser: Any,
    request: pytest.FixtureRequest,
    viewport: dict[str, int],
) -> None:
    page = await open_page(browser, site, viewport, signed_in=True)
    try:
        url = site["server"].url
        await page.goto(url + "/")
        # The account is shared by this module's tests: start from a fresh feed (what an
        # earlier run was shown or did stays out of For You for the session), and wait
        # until the feed has two cards to move between.
        csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "nv_csrf")
        reset = await page.request.post(url + "/feed/reset", headers={"x-csrftoken": csrf})
        assert reset.ok, await reset.text()
        for _ in range(30):
            await page.goto(url + "/")
            if await page.locator(CARDS).count() >= 2:
                break
            await page.wait_for_timeout(1000)
        await page.wait_for_function(
            "document.querySelector('video.nv-card-video').currentTime > 0.2", timeout=15_000
        )
        cards = page.locator(CARDS)
        # The first Tab shows the skip link; it leads past the nav to the first card.
        await page.keyboard.press("Tab")
        skip = page.locator("a[href='#main']")
        assert await skip.evaluate("a => a === document.activeElement")
        box = await skip.bounding_box()
        assert box is not None
        assert box["width"] > 20
        assert box["height"] > 10
        await page.keyboard.press("Enter")
        await page.keyboard.press("Tab")
        # A viewer the feed does not know yet meets the topic picker first (its summary).
        if await page.evaluate("!!document.activeElement.closest('.nv-picker')"):
            assert await page.evaluate("document.activeElement.tagName") == "SUMMARY"
            await page.keyboard.press("Tab")
        assert await cards.first.evaluate("(c) => c.contains(document.activeElement)")
        # j moves to the next card, k back; the card in view takes the focus.
        await page.keyboard.press("j")
        await focus_reaches(page, 1)
        await page.keyboard.press("k")
        await focus_reaches(page, 0)
        first = cards.first
        walk = await focus_walk(page, first, request)
        classes = [step["cls"] for step in walk]
        names = [step["name"] for step in walk]
        # The card has no follow button of its own: following happens on the creator's
        # profile, which the creator's name on the card opens.
        creator = await first.locator(".nv-card-creator").inner_text()
        assert creator in names, walk
        assert any("nv-card-sound" in c for c in classes), walk
        assert any("nv-action--like" in c for c in classes), walk
        assert any("nv-card-comments" in c for c in classes), walk
        assert any("nv-action--share" in c for c in classes), walk
        hidden = [s for s in walk if not (s["visible"] and (s["outline"] or s["shadow"]))]
        assert not hidden, f"focus does not show on: {hidden}"

        # The sound button works with Enter; the arrow keys still move on from inside a card.
        await first.locator(".nv-card-sound").focus()
        await page.keyboard.press("Enter")
        sound = await first.locator(".nv-card-sound").get_attribute("aria-pressed")
        assert sound == "true"
        await page.keyboard.press("ArrowDown")
        await focus_reaches(page, 1)
        await page.wait_for_function(
            "(() => { const v = document.querySelectorAll('video.nv-card-video');"
            " return !v[1].paused && v[0].paused; })()",
            timeout=10_000,
        )
        # Focus moves on into the second card with Tab, not back to the first.
        await page.keyboard.press("Tab")
        assert await cards.nth(1).evaluate("(c) => c.contains(document.activeElement)")
        await page.keyboard.press("ArrowUp")
        await focus_reaches(page, 0)
        await page.wait_for_function(
            "document.querySelector('video.nv-card-video').paused === false"
        )
        await page.wait_for_function(
            "Math.abs(document.querySelector('article.nv-card').getBoundingClientRect().top) < 20"
        )
        await shot(page, request, "keys")
    finally:
        await page.context.close()


async def test_a_card_says_why_it_is_shown_and_takes_not_interested(
    site: dict[str, Any], browser: Any, request: pytest.FixtureRequest
) -> None:
    page = await open_page(browser, site, PHONE, signed_in=False)
    try:
        await page.goto(site["server"].url + "/")
        await page.wait_for_function(
            "document.querySelector('video.nv-card-video').currentTime > 0.2", timeout=15_000
        )
        card = page.locator(CARDS).first
        await card.locator("summary[aria-label='More options']").click()
        await card.get_by_role("button", name="Why am I seeing this?").click()
        answer = card.locator(".nv-more-answer").first
        await answer.wait_for()
        await page.wait_for_function(
            "(el) => el.textContent.trim().length > 10", arg=await answer.element_handle()
        )
        assert "popular or new" in (await answer.text_content() or "")
        violations = await axe_violations(page)
        assert not violations, describe(violations)
        await card.get_by_role("button", name="Not interested").click()
        await card.get_by_text("Got it").wait_for()
        await shot(page, request, "not-interested")
        # The browser now has a viewer id, and its next pages come from the recommender.
        cookies = {c["name"] for c in await page.context.cookies()}
        assert "nv_viewer" in cookies
    finally:
        await page.context.close()
