"""The review queue and moderators' actions: urgency, each action's effect, the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from nichevid.accounts.services import get_user_by_id
from nichevid.comments.services import CommentError, post_comment
from nichevid.media.tables import Video
from nichevid.plugins import gate
from nichevid.safety.prefs import Prefs, save_prefs
from nichevid.social.tables import Notification
from nichevid.testing.factories import ready_video
from nichevid_moderation import actions, audit, gates, queue, reports, restrictions
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.tables import AuditEntry

from .conftest import browser, form


async def report(resources: Any, user: Any, kind: str, ref: str, category: str = "spam") -> Any:
    return await reports.file_report(
        resources, reporter=user, address="x", kind=kind, ref=ref, category=category
    )


async def test_the_queue_puts_the_most_urgent_first(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    from nichevid.feed.tables import WatchEvent

    quiet = await ready_video(people["cara"], caption="quiet")
    watched = await ready_video(people["cara"], caption="watched")
    await WatchEvent.insert(*[WatchEvent(video=watched.id, watched_ms=1000) for _ in range(99)])
    await report(nv_resources, people["ann"], "video", quiet.slug, "spam")
    await report(nv_resources, people["ann"], "video", watched.slug, "spam")
    await report(nv_resources, people["ann"], "video", video.slug, "violence")
    await report(nv_resources, people["bob"], "video", video.slug, "spam")
    found = await queue.cases()
    assert [c.target_id for c in found] == [video.id, watched.id, quiet.id]
    top = found[0]
    assert (top.reports, sorted(top.categories), top.owner) == (2, ["spam", "violence"], "cara")
    assert found[1].reach == 99
    assert queue.urgency(1, ["spam"], 99) > queue.urgency(1, ["spam"], 0)
    assert queue.urgency(1, ["child_safety"], 0) > queue.urgency(3, ["spam"], 0)


async def test_remove_hides_the_video_and_tells_the_creator(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    await report(nv_resources, people["ann"], "video", video.slug, "hate")
    entry = await actions.act(
        nv_resources, people["mod"], kind="video", ref=video.slug, action="remove", reason="Slurs."
    )
    assert (await Video.objects().get(Video.id == video.id)).status == "removed"
    assert (await nv_client.get(f"/v/{video.slug}")).status_code == 404
    note = await Notification.objects().where(Notification.recipient == people["cara"].id).first()
    assert note.kind == "moderation"
    assert "Reason: Slurs." in note.text
    assert entry.category == "hate"
    assert entry.actor == audit.pseudonym(nv_resources.settings, people["mod"].id)
    assert entry.subject == audit.pseudonym(nv_resources.settings, people["cara"].id)
    assert await queue.cases() == []


async def test_approve_closes_the_reports_and_releases_a_held_video(
    nv_resources: Any, people: dict[str, Any]
) -> None:
    held = await ready_video(people["cara"], status="held", published_at=None)
    assert [c.target_id for c in await queue.cases()] == [held.id]
    assert (await queue.cases())[0].held
    await actions.act(nv_resources, people["mod"], kind="video", ref=held.slug, action="approve")
    row = await Video.objects().get(Video.id == held.id)
    assert row.status == "ready"
    assert row.published_at is not None
    assert await queue.cases() == []


async def test_limit_reach_and_age_restrict_keep_videos_out_of_for_you(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    other = await ready_video(people["cara"])
    await actions.act(
        nv_resources, people["mod"], kind="video", ref=video.slug, action="limit_reach"
    )
    await actions.act(
        nv_resources, people["mod"], kind="video", ref=other.slug, action="age_restrict"
    )
    ids = [video.id, other.id]
    # Age-restricted videos reach only members whose date of birth makes them adults.
    ann = people["ann"]
    assert await gates.kept_out(ids, ann, nv_resources) == [video.id, other.id]
    today = datetime.now(UTC).date()
    await save_prefs(ann, Prefs(birth_date=date(today.year - 17, 1, 1)))
    assert await gates.kept_out(ids, ann, nv_resources) == [video.id, other.id]
    await save_prefs(ann, Prefs(birth_date=date(today.year - 18, 1, 1)))
    assert await gates.kept_out(ids, ann, nv_resources) == [video.id]
    assert await gates.kept_out(ids, None, nv_resources) == [video.id, other.id]
    from nichevid.plugins import call_all

    excluded = await call_all(
        nv_resources.pm.hook.for_you_exclude, video_ids=ids, viewer=None, resources=nv_resources
    )
    assert [video.id, other.id] in excluded


async def test_warn_suspend_and_ban(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    cara = people["cara"]
    await actions.act(
        nv_resources, people["mod"], kind="account", ref="cara", action="warn", reason="Be kind."
    )
    await actions.act(
        nv_resources,
        people["mod"],
        kind="account",
        ref="cara",
        action="suspend",
        reason="Spam wave.",
        days=3,
    )
    assert await restrictions.suspended_until(cara.id) is not None
    with pytest.raises(CommentError, match="suspended until") as refused:
        await post_comment(nv_resources, cara, video, "hello")
    assert refused.value.status == 403
    # Nor may they start an upload.
    refusal = await gate(
        nv_resources.pm.hook.upload_accept, user=cara, metadata={}, resources=nv_resources
    )
    assert refusal is not None
    assert "suspended until" in refusal
    assert (
        await gate(
            nv_resources.pm.hook.upload_accept,
            user=people["bob"],
            metadata={},
            resources=nv_resources,
        )
        is None
    )
    # A suspended creator's new videos wait for a moderator.
    fresh = await ready_video(cara, status="processing")
    assert await gates.video_hold(fresh, nv_resources) == "the creator is suspended"
    await actions.act(
        nv_resources, people["mod"], kind="account", ref="cara", action="ban", reason="Again."
    )
    banned = await get_user_by_id(cara.id)
    assert banned is not None
    assert not banned.is_active
    async with browser(nv_client, None, 50020) as other:
        from tests.accounts.conftest import login

        refused_login = await login(other, "cara")
        assert refused_login.status_code != 303
    texts = [
        n.text
        for n in await Notification.objects()
        .where(Notification.recipient == cara.id)
        .order_by(Notification.id)
    ]
    assert texts[0].endswith("Be kind.")
    assert "suspended until" in texts[1]
    assert "banned" in texts[2]


async def test_a_comment_can_be_removed(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    from nichevid.comments.tables import Comment

    comment = await post_comment(nv_resources, people["bob"], video, "nasty")
    await report(nv_resources, people["ann"], "comment", str(comment.id), "harassment")
    await actions.act(
        nv_resources,
        people["mod"],
        kind="comment",
        ref=str(comment.id),
        action="remove",
        reason="Harassment.",
    )
    assert await Comment.count() == 0
    entry = await AuditEntry.objects().first()
    assert (entry.action, entry.target_kind, entry.category) == ("remove", "comment", "harassment")


@pytest.mark.parametrize(
    ("kind", "action", "reason", "days", "status", "message"),
    [
        ("video", "explode", "x", None, 400, "Choose one of these actions"),
        ("account", "age_restrict", "x", None, 400, "Choose one of these actions"),
        ("video", "remove", "  ", None, 400, "Write the reason"),
        ("account", "suspend", "x", None, 400, "1 to 365 days"),
        ("account", "suspend", "x", 400, 400, "1 to 365 days"),
        ("video", "remove", "x" * 2001, None, 400, "at most 2000"),
    ],
)
async def test_bad_actions_are_refused(
    nv_resources: Any,
    people: dict[str, Any],
    video: Any,
    kind: str,
    action: str,
    reason: str,
    days: int | None,
    status: int,
    message: str,
) -> None:
    ref = video.slug if kind == "video" else "cara"
    with pytest.raises(ModerationError, match=message) as refused:
        await actions.act(
            nv_resources, people["mod"], kind=kind, ref=ref, action=action, reason=reason, days=days
        )
    assert refused.value.status == status
    assert await AuditEntry.count() == 0
    assert (await Video.objects().get(Video.id == video.id)).status == "ready"


async def test_a_moderator_cannot_act_on_their_own_content(
    nv_resources: Any, people: dict[str, Any]
) -> None:
    own = await ready_video(people["mod"])
    for kind, ref in (("video", own.slug), ("account", "mod")):
        with pytest.raises(ModerationError, match="your own content") as refused:
            await actions.act(
                nv_resources, people["mod"], kind=kind, ref=ref, action="remove", reason="x"
            )
        assert refused.value.status == 403
    with pytest.raises(ModerationError, match="cannot be banned"):
        await actions.act(
            nv_resources, people["mod"], kind="account", ref="mia", action="ban", reason="x"
        )
    with pytest.raises(ModerationError, match="moderator role"):
        await actions.act(
            nv_resources, people["ann"], kind="video", ref=own.slug, action="remove", reason="x"
        )
    assert (await Video.objects().get(Video.id == own.id)).status == "ready"


async def test_the_audit_log_cannot_be_changed_or_deleted(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    entry = await actions.act(
        nv_resources, people["mod"], kind="video", ref=video.slug, action="warn", reason="Tone."
    )
    with pytest.raises(Exception, match="cannot be changed or deleted"):
        await AuditEntry.update({AuditEntry.reason: "nothing"}).where(AuditEntry.id == entry.id)
    with pytest.raises(Exception, match="cannot be changed or deleted"):
        await AuditEntry.delete().where(AuditEntry.id == entry.id)
    with pytest.raises(Exception, match="cannot be changed or deleted"):
        await AuditEntry.delete(force=True)
    kept = await AuditEntry.objects().get(AuditEntry.id == entry.id)
    assert kept.reason == "Tone."
    assert not [name for name in dir(audit) if name.startswith(("delete", "update", "edit"))]


async def test_regular_members_get_403_on_moderator_pages(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    urls = [
        "/moderation",
        f"/moderation/case/video/{video.slug}",
        "/moderation/audit",
        "/moderation/appeals",
        "/moderation/stats",
    ]
    async with browser(nv_client, "ann", 50021) as ann:
        for url in urls:
            assert (await ann.get(url)).status_code == 403, url
        posted = await form(
            ann, f"/moderation/case/video/{video.slug}", {"action": "remove", "reason": "x"}
        )
        assert posted.status_code == 403
        assert (await form(ann, "/moderation/appeals/1", {"outcome": "upheld"})).status_code == 403
    async with browser(nv_client, "mod", 50022) as mod:
        for url in urls[:-1]:
            assert (await mod.get(url)).status_code == 200, url
        assert (await mod.get("/moderation/stats")).status_code == 403
    assert (await Video.objects().get(Video.id == video.id)).status == "ready"


async def test_the_case_page_shows_preview_history_and_earlier_actions(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    earlier = await ready_video(people["cara"], caption="older clip")
    await actions.act(
        nv_resources, people["mia"], kind="video", ref=earlier.slug, action="remove", reason="Spam."
    )
    await report(nv_resources, people["ann"], "video", video.slug, "spam")
    async with browser(nv_client, "mod", 50023) as mod:
        page = await mod.get(f"/moderation/case/video/{video.slug}")
        assert page.status_code == 200
        assert "my knitting #yarn" in page.text
        assert "<video" in page.text
        assert "sig=" in page.text  # the preview is a signed URL
        assert "2 videos, 1 removed" in page.text
        assert "mia" in page.text
        assert "Spam." in page.text
        done = await form(
            mod,
            f"/moderation/case/video/{video.slug}",
            {"action": "age_restrict", "reason": ""},
        )
        assert done.status_code == 303
        queue_page = await mod.get("/moderation")
        assert "Nothing is waiting" in queue_page.text
        log = await mod.get("/moderation/audit")
        assert log.text.count('data-action="') == 2
        bad = await form(mod, f"/moderation/case/video/{video.slug}", {"action": "remove"})
        assert bad.status_code == 400
        assert "Write the reason" in bad.text
