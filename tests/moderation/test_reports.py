"""Reports: categories, duplicates counted once, the hourly limit, visitors, the reporter's view."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid_moderation import actions, reports
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.tables import Report


async def send(resources: Any, user: Any, kind: str, ref: str, **kw: Any) -> Report:
    return await reports.file_report(
        resources,
        reporter=user,
        address="10.0.0.1",
        kind=kind,
        ref=ref,
        category=kw.pop("category", "spam"),
        **kw,
    )


async def test_videos_comments_and_accounts_can_be_reported(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    from nichevid.comments.services import post_comment

    comment = await post_comment(nv_resources, people["bob"], video, "rude words")
    ann = people["ann"]
    first = await send(nv_resources, ann, "video", video.slug, category="hate", text="slur at 0:03")
    second = await send(nv_resources, ann, "comment", str(comment.id), category="harassment")
    third = await send(nv_resources, ann, "account", "cara", category="spam")
    rows = await Report.objects().order_by(Report.id)
    assert [(r.target_kind, r.target_id, r.owner, r.category) for r in rows] == [
        ("video", video.id, people["cara"].id, "hate"),
        ("comment", comment.id, people["bob"].id, "harassment"),
        ("account", people["cara"].id, people["cara"].id, "spam"),
    ]
    assert first.text == "slur at 0:03"
    assert {second.status, third.status} == {"open"}


async def test_the_same_item_twice_counts_once(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    one = await send(nv_resources, people["ann"], "video", video.slug, category="spam")
    again = await send(nv_resources, people["ann"], "video", video.slug, category="hate")
    assert again.id == one.id
    assert await Report.count() == 1
    await send(nv_resources, people["bob"], "video", video.slug)
    assert await Report.count() == 2


async def test_a_report_flood_is_rate_limited(
    nv_settings_factory: Any, nv_plugins: list[Any], make_user: Any, nv_resources: Any
) -> None:
    from nichevid.testing.factories import ready_video

    config = nv_resources.settings.plugin["moderation"]["_parsed"]
    ann = await make_user("ann")
    cara = await make_user("cara", role="creator")
    clips = [await ready_video(cara) for _ in range(config.reports_per_hour + 1)]
    for clip in clips[:-1]:
        await send(nv_resources, ann, "video", clip.slug)
    with pytest.raises(ModerationError, match="reports an hour") as refused:
        await send(nv_resources, ann, "video", clips[-1].slug)
    assert refused.value.status == 429
    assert refused.value.retry_after > 0
    assert await Report.count() == config.reports_per_hour
    # A repeat of an earlier report is no new report, so it is not refused.
    await send(nv_resources, ann, "video", clips[0].slug)


@pytest.mark.parametrize(
    ("kind", "ref", "category", "text", "status", "message"),
    [
        ("video", "nope", "spam", "", 404, "nothing to report"),
        ("comment", "12x", "spam", "", 404, "nothing to report"),
        ("hashtag", "yarn", "spam", "", 404, "Only videos, comments, playlists and accounts"),
        ("playlist", "1", "spam", "", 404, "nothing to report"),
        ("video", "{slug}", "boring", "", 400, "listed reasons"),
        ("video", "{slug}", "spam", "x" * 1001, 400, "at most 1000 characters"),
    ],
)
async def test_bad_reports_are_refused_with_a_reason(
    nv_resources: Any,
    people: dict[str, Any],
    video: Any,
    kind: str,
    ref: str,
    category: str,
    text: str,
    status: int,
    message: str,
) -> None:
    with pytest.raises(ModerationError, match=message) as refused:
        await send(
            nv_resources,
            people["ann"],
            kind,
            ref.format(slug=video.slug),
            category=category,
            text=text,
        )
    assert refused.value.status == status
    assert await Report.count() == 0


async def test_nobody_reports_their_own_content(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    with pytest.raises(ModerationError, match="your own content"):
        await send(nv_resources, people["cara"], "video", video.slug)


async def test_visitors_report_only_when_the_operator_allows(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    with pytest.raises(ModerationError, match="log in") as refused:
        await send(nv_resources, None, "video", video.slug)
    assert refused.value.status == 401
    nv_resources.settings.plugin["moderation"]["_parsed"].anonymous_reports = True
    one = await send(nv_resources, None, "video", video.slug)
    again = await send(nv_resources, None, "video", video.slug)
    assert one.reporter is None
    assert again.id == one.id
    assert one.reporter_key.startswith("a")


async def test_the_reporter_sees_what_became_of_it(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    from .conftest import browser

    await send(nv_resources, people["ann"], "video", video.slug, category="hate")
    async with browser(nv_client, "ann", 50010) as ann:
        page = await ann.get("/moderation/mine/reports")
        assert page.status_code == 200
        assert 'data-outcome=""' in page.text
        assert "Waiting for a moderator" in page.text
    await actions.act(
        nv_resources, people["mod"], kind="video", ref=video.slug, action="remove", reason="hate"
    )
    mine = await reports.reports_by(people["ann"])
    assert [(r.status, r.outcome) for r in mine] == [("actioned", "remove")]
    async with browser(nv_client, "ann", 50011) as ann:
        page = await ann.get("/moderation/mine/reports")
        assert 'data-outcome="remove"' in page.text
        assert "Removed" in page.text


async def test_the_report_form_round_trip(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    from .conftest import browser, form

    visitor = await nv_client.get(f"/report/video/{video.slug}", headers={"accept": "text/html"})
    assert visitor.status_code == 303
    assert visitor.headers["location"].startswith("/login")
    async with browser(nv_client, "ann", 50012) as ann:
        shown = await ann.get(f"/report/video/{video.slug}")
        assert shown.status_code == 200
        assert 'value="child_safety"' in shown.text
        bad = await form(ann, f"/report/video/{video.slug}", {"category": "meh"})
        assert bad.status_code == 400
        assert "listed reasons" in bad.text
        sent = await form(
            ann, f"/report/video/{video.slug}", {"category": "spam", "text": "<b>buy</b>"}
        )
        assert sent.status_code == 200
        assert "Thank you for your report" in sent.text
        gone = await ann.get("/report/video/doesnotexist")
        assert gone.status_code == 404
    row = await Report.objects().first()
    assert row.text == "<b>buy</b>"
