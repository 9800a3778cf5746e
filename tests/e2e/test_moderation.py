"""Moderation in real browsers: a member reports a video, a moderator removes it with a
reason, the creator appeals, a second moderator restores it, and the audit log shows
each step."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    db_rows,
    instance_with_people,
    make_clip,
    people_pages,
    shot,
)

pytestmark = pytest.mark.e2e

PEOPLE = {"maker": "creator", "watcher": "member", "mod_one": "moderator", "mod_two": "moderator"}


@pytest.fixture(scope="module")
def mod_server(
    nv_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """An instance of its own with the moderation plugin, and its four people."""
    with instance_with_people(
        nv_services,
        tmp_path_factory.mktemp("e2e-moderation-data"),
        "e2e_moderation",
        6,
        PEOPLE,
        NICHEVID_LOAD_PLUGINS="moderation",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second 360x640 clip."""
    return make_clip(tmp_path_factory.mktemp("moderation-media"))


@pytest.fixture
async def person(browser: Any, mod_server: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await person("maker")``: a page of that person's own, signed in."""
    async with people_pages(browser, mod_server.url) as make:
        yield make


async def test_report_remove_appeal_restore(
    mod_server: Any, person: Any, clip: Path, request: pytest.FixtureRequest
) -> None:
    url = mod_server.url
    maker = await person("maker")
    await maker.goto(url + "/upload")
    await maker.wait_for_function("!document.querySelector('#upload-submit').disabled")
    await maker.set_input_files("#upload-file", str(clip))
    await maker.fill("#upload-caption", "Ridge walk at dawn")
    await maker.select_option("#upload-visibility", "public")
    await maker.click("#upload-submit")
    await maker.wait_for_selector("#upload-status[data-status=ready]", timeout=90_000)
    slug = await maker.get_attribute("#upload-status", "data-video")
    assert slug

    # A member reports it from the video page.
    watcher = await person("watcher")
    await watcher.goto(f"{url}/v/{slug}")
    await watcher.get_by_role("link", name="Report this video").click()
    await watcher.get_by_label("Spam or scam").check()
    await watcher.fill("#nv-report-text", "Links to a shop in every frame")
    await watcher.get_by_role("button", name="Send report").click()
    await watcher.get_by_text("Thank you for your report").wait_for()

    # The first moderator finds it in the queue and removes it with a reason.
    mod_one = await person("mod_one")
    await mod_one.goto(url + "/moderation")
    await mod_one.locator("#nv-queue a").first.click()
    await mod_one.get_by_text("Links to a shop in every frame").wait_for()
    await mod_one.get_by_label("Remove").check()
    await mod_one.fill("#nv-reason", "Advertising a shop is spam here.")
    await mod_one.get_by_role("button", name="Apply").click()
    await mod_one.locator("#nv-case-status", has_text="removed").wait_for()
    await shot(mod_one, request, "removed")
    gone = await watcher.goto(f"{url}/v/{slug}")
    assert gone is not None
    assert gone.status == 404

    # The reporter sees what became of the report.
    await watcher.goto(url + "/moderation/mine/reports")
    await watcher.locator("#nv-my-reports td", has_text="Removed").wait_for()

    # The creator reads the reason and appeals.
    await maker.goto(url + "/moderation/mine/appeals")
    await maker.get_by_text("Advertising a shop is spam here.").wait_for()
    await maker.get_by_label("Why should the video come back?").fill("The shop is my own yarn.")
    await maker.get_by_role("button", name="Appeal").click()
    await maker.get_by_text("Your appeal was sent.").wait_for()

    # The moderator who removed it may not decide; the second one restores it.
    await mod_one.goto(url + "/moderation/appeals")
    await mod_one.get_by_label("Uphold: restore the video").check()
    await mod_one.get_by_label("Statement of reasons").fill("I changed my mind.")
    await mod_one.get_by_role("button", name="Decide").click()
    await mod_one.get_by_text("another moderator must decide").wait_for()
    mod_two = await person("mod_two")
    await mod_two.goto(url + "/moderation/appeals")
    await mod_two.get_by_text("The shop is my own yarn.").wait_for()
    await mod_two.get_by_label("Uphold: restore the video").check()
    await mod_two.get_by_label("Statement of reasons").fill("Showing one's own craft is fine.")
    await mod_two.get_by_role("button", name="Decide").click()
    await mod_two.get_by_text("Decided. The creator was told.").wait_for()

    back = await watcher.goto(f"{url}/v/{slug}")
    assert back is not None
    assert back.status == 200
    await maker.goto(url + "/moderation/mine/appeals")
    await maker.locator('.nv-appeal-status[data-status="upheld"]').wait_for()
    await maker.get_by_text("Showing one's own craft is fine.").wait_for()

    # The audit log shows each step, newest first, with who took it and why.
    await mod_two.goto(url + "/moderation/audit")
    rows = mod_two.locator("#nv-audit tbody tr")
    actions = [await row.get_attribute("data-action") for row in await rows.all()]
    assert actions == ["appeal_upheld", "appeal", "remove"]
    texts = [await row.inner_text() for row in await rows.all()]
    assert "mod_two" in texts[0]
    assert "Showing one's own craft is fine." in texts[0]
    assert "maker" in texts[1]
    assert "mod_one" in texts[2]
    assert "Advertising a shop is spam here." in texts[2]
    await shot(mod_two, request, "audit")
    video = await db_rows(mod_server, "SELECT status FROM nv_video WHERE slug = ?", slug)
    assert video == [{"status": "ready"}]
