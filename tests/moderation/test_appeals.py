"""Appeals: once per removal, decided by another moderator, the outcome told to the creator."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.media.tables import Video
from nichevid.social.tables import Notification
from nichevid.testing.factories import ready_video
from nichevid_moderation import actions, appeals
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.tables import Appeal, AuditEntry

from .conftest import browser, form


async def removed(resources: Any, people: dict[str, Any], video: Any) -> Any:
    return await actions.act(
        resources, people["mod"], kind="video", ref=video.slug, action="remove", reason="Spam."
    )


async def test_upheld_appeal_restores_the_video_and_tells_the_creator(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    removal = await removed(nv_resources, people, video)
    appeal = await appeals.file_appeal(nv_resources, people["cara"], removal.id, "It is yarn.")
    assert appeal.status == "open"
    decided = await appeals.decide(
        nv_resources, people["mia"], appeal.id, "upheld", "Knitting is not spam."
    )
    assert (decided.status, decided.statement) == ("upheld", "Knitting is not spam.")
    assert (await Video.objects().get(Video.id == video.id)).status == "ready"
    last = await (
        Notification.objects()
        .where(Notification.recipient == people["cara"].id)
        .order_by(Notification.id, ascending=False)
        .first()
    )
    assert "upheld" in last.text
    assert "Knitting is not spam." in last.text
    log = [e.action for e in await AuditEntry.objects().order_by(AuditEntry.id)]
    assert log == ["remove", "appeal", "appeal_upheld"]


async def test_rejected_appeal_keeps_the_removal(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    removal = await removed(nv_resources, people, video)
    appeal = await appeals.file_appeal(nv_resources, people["cara"], removal.id, "Please.")
    await appeals.decide(nv_resources, people["root"], appeal.id, "rejected", "It is spam.")
    assert (await Video.objects().get(Video.id == video.id)).status == "removed"
    views = await appeals.appeals_of(people["cara"])
    assert [(v.status, v.statement) for v in views] == [("rejected", "It is spam.")]
    with pytest.raises(ModerationError, match="decided already") as again:
        await appeals.decide(nv_resources, people["mia"], appeal.id, "upheld", "Changed mind.")
    assert again.value.status == 409


async def test_a_removal_is_appealed_once_and_only_by_its_creator(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    removal = await removed(nv_resources, people, video)
    with pytest.raises(ModerationError, match="no removal of your content") as stranger:
        await appeals.file_appeal(nv_resources, people["ann"], removal.id, "Not mine.")
    assert stranger.value.status == 404
    with pytest.raises(ModerationError, match="text is empty"):
        await appeals.file_appeal(nv_resources, people["cara"], removal.id, "   ")
    await appeals.file_appeal(nv_resources, people["cara"], removal.id, "Mine.")
    with pytest.raises(ModerationError, match="appealed once") as twice:
        await appeals.file_appeal(nv_resources, people["cara"], removal.id, "Again.")
    assert twice.value.status == 409
    assert await Appeal.count() == 1


async def test_the_remover_and_the_creator_cannot_decide(
    nv_resources: Any, people: dict[str, Any]
) -> None:
    own = await ready_video(people["mia"])
    removal = await actions.act(
        nv_resources, people["mod"], kind="video", ref=own.slug, action="remove", reason="Spam."
    )
    appeal = await appeals.file_appeal(nv_resources, people["mia"], removal.id, "Mine is fine.")
    with pytest.raises(ModerationError, match="your own appeal") as own_appeal:
        await appeals.decide(nv_resources, people["mia"], appeal.id, "upheld", "I agree.")
    assert own_appeal.value.status == 403
    with pytest.raises(ModerationError, match="another moderator must decide") as remover:
        await appeals.decide(nv_resources, people["mod"], appeal.id, "rejected", "Still spam.")
    assert remover.value.status == 403
    with pytest.raises(ModerationError, match="moderator role"):
        await appeals.decide(nv_resources, people["ann"], appeal.id, "upheld", "Sure.")
    with pytest.raises(ModerationError, match="uphold it or reject it"):
        await appeals.decide(nv_resources, people["root"], appeal.id, "maybe", "Hm.")
    with pytest.raises(ModerationError, match="statement of reasons"):
        await appeals.decide(nv_resources, people["root"], appeal.id, "upheld", " ")
    assert (await Appeal.objects().get(Appeal.id == appeal.id)).status == "open"
    assert (await Video.objects().get(Video.id == own.id)).status == "removed"


async def test_the_appeal_pages(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    removal = await removed(nv_resources, people, video)
    async with browser(nv_client, "cara", 50030) as cara:
        page = await cara.get("/moderation/mine/appeals")
        assert "Reason: Spam." in page.text or "Spam." in page.text
        empty = await form(cara, f"/moderation/mine/appeals/{removal.id}", {"text": ""})
        assert empty.status_code == 400
        sent = await form(cara, f"/moderation/mine/appeals/{removal.id}", {"text": "Yarn!"})
        assert sent.status_code == 303
        assert "waiting for a decision" in (await cara.get("/moderation/mine/appeals")).text
    appeal = await Appeal.objects().first()
    async with browser(nv_client, "mod", 50031) as mod:
        waiting = await mod.get("/moderation/appeals")
        assert "Yarn!" in waiting.text
        refused = await form(
            mod, f"/moderation/appeals/{appeal.id}", {"outcome": "upheld", "statement": "ok"}
        )
        assert refused.status_code == 403
        assert "another moderator" in refused.text
    async with browser(nv_client, "mia", 50032) as mia:
        done = await form(
            mia, f"/moderation/appeals/{appeal.id}", {"outcome": "upheld", "statement": "Fine."}
        )
        assert done.status_code == 303
    async with browser(nv_client, "cara", 50033) as cara:
        page = await cara.get("/moderation/mine/appeals")
        assert 'data-status="upheld"' in page.text
        assert "Fine." in page.text
