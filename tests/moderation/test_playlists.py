"""Reporting a playlist, and moderators' decisions on one; reports of deleted items close."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.media.services import delete_video
from nichevid.playlists import services as playlists
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.social.tables import Notification
from nichevid_moderation import actions, queue, reports
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.tables import AuditEntry, Report

from .conftest import browser, form

HTML = {"accept": "text/html"}


@pytest.fixture
async def playlist(people: dict[str, Any], video: Any) -> Any:
    """Cara's playlist holding her video."""
    made = await playlists.create_playlist(people["cara"], "Free money here", "click my link")
    await playlists.add_video(people["cara"], int(made.id), video.slug)
    return made


async def report(resources: Any, user: Any, ref: str, category: str = "spam") -> Report:
    return await reports.file_report(
        resources, reporter=user, address="x", kind="playlist", ref=ref, category=category
    )


async def test_members_report_a_playlist_from_its_page(
    nv_client: Any, people: dict[str, Any], playlist: Any
) -> None:
    url = f"/u/cara/playlists/{playlist.id}"
    async with browser(nv_client, "ann", 50101) as ann:
        page = await ann.get(url, headers=HTML)
        assert f'href="/report/playlist/{playlist.id}"' in page.text
        shown = await ann.get(f"/report/playlist/{playlist.id}", headers=HTML)
        assert shown.status_code == 200
        assert "Report a playlist" in shown.text
        assert "<blockquote>Free money here</blockquote>" in shown.text
        sent = await form(ann, f"/report/playlist/{playlist.id}", {"category": "spam"})
        assert sent.status_code == 200
        assert "Thank you for your report" in sent.text
    # Its creator is not offered a report of her own playlist.
    async with browser(nv_client, "cara", 50102) as cara:
        own = await cara.get(url, headers=HTML)
        assert "/report/playlist/" not in own.text
    rows = await Report.select(Report.target_kind, Report.target_id, Report.owner)
    assert rows == [
        {"target_kind": "playlist", "target_id": playlist.id, "owner": people["cara"].id}
    ]


@pytest.mark.parametrize("ref", ["987654", "abc", "1" * 20, "-1"])
async def test_a_playlist_that_is_not_there_cannot_be_reported(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], playlist: Any, ref: str
) -> None:
    with pytest.raises(ModerationError, match="nothing to report") as refused:
        await report(nv_resources, people["ann"], ref)
    assert refused.value.status == 404
    async with browser(nv_client, "ann", 50103) as ann:
        page = await ann.get(f"/report/playlist/{ref}", headers=HTML)
        assert page.status_code == 404
    assert await Report.count() == 0


async def test_nobody_reports_their_own_playlist(
    nv_resources: Any, people: dict[str, Any], playlist: Any
) -> None:
    with pytest.raises(ModerationError, match="your own content") as refused:
        await report(nv_resources, people["cara"], str(playlist.id))
    assert refused.value.status == 400
    assert await Report.count() == 0


async def test_removing_a_playlist_keeps_its_videos_and_tells_the_creator(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], playlist: Any, video: Any
) -> None:
    await report(nv_resources, people["ann"], str(playlist.id), "misinformation")
    [case] = await queue.cases()
    assert (case.kind, case.target_id, case.owner) == ("playlist", playlist.id, "cara")
    async with browser(nv_client, "mod", 50104) as mod:
        page = await mod.get(f"/moderation/case/playlist/{playlist.id}")
        assert page.status_code == 200
        assert "Free money here" in page.text
        assert f'href="/u/cara/playlists/{playlist.id}"' in page.text
        done = await form(
            mod,
            f"/moderation/case/playlist/{playlist.id}",
            {"action": "remove", "reason": "A scam."},
        )
        assert done.status_code == 303
    assert await Playlist.count() == 0
    assert await PlaylistItem.count() == 0
    assert (await nv_client.get(f"/v/{video.slug}")).status_code == 200
    note = await Notification.objects().where(Notification.recipient == people["cara"].id).first()
    assert note.text == (
        "A moderator deleted your playlist “Free money here” (its videos stay). Reason: A scam."
    )
    entry = await AuditEntry.objects().first()
    assert (entry.action, entry.target_kind, entry.category) == (
        "remove",
        "playlist",
        "misinformation",
    )
    assert await Report.select(Report.status, Report.outcome) == [
        {"status": "actioned", "outcome": "remove"}
    ]
    assert await queue.cases() == []


async def test_warning_about_a_playlist_and_refused_actions(
    nv_resources: Any, people: dict[str, Any], playlist: Any
) -> None:
    ref = str(playlist.id)
    for action, reason, message in (
        ("age_restrict", "x", "Choose one of these actions"),
        ("limit_reach", "x", "Choose one of these actions"),
        ("warn", " ", "Write the reason"),
    ):
        with pytest.raises(ModerationError, match=message):
            await actions.act(
                nv_resources, people["mod"], kind="playlist", ref=ref, action=action, reason=reason
            )
    with pytest.raises(ModerationError, match="moderator role"):
        await actions.act(
            nv_resources, people["ann"], kind="playlist", ref=ref, action="remove", reason="x"
        )
    assert await AuditEntry.count() == 0
    await actions.act(
        nv_resources, people["mod"], kind="playlist", ref=ref, action="warn", reason="Tone it down."
    )
    assert await Playlist.count() == 1
    note = await Notification.objects().where(Notification.recipient == people["cara"].id).first()
    assert (
        note.text == "A moderator warned you about your playlist “Free money here”: Tone it down."
    )


async def test_reports_of_items_their_creators_deleted_close_as_gone(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], playlist: Any, video: Any
) -> None:
    await report(nv_resources, people["ann"], str(playlist.id))
    await reports.file_report(
        nv_resources,
        reporter=people["bob"],
        address="y",
        kind="video",
        ref=video.slug,
        category="spam",
    )
    assert len(await queue.cases()) == 2
    await playlists.delete_playlist(people["cara"], int(playlist.id))
    await delete_video(nv_resources, video)
    assert await queue.cases() == []
    assert await Report.select(Report.status, Report.outcome) == [
        {"status": "dismissed", "outcome": "gone"},
        {"status": "dismissed", "outcome": "gone"},
    ]
    assert await AuditEntry.count() == 0
    async with browser(nv_client, "ann", 50105) as ann:
        mine = await ann.get("/moderation/mine/reports")
        assert "Deleted by its author before a decision" in mine.text
