"""Which notifications a member is told of: chosen kind by kind in the safety settings."""

from __future__ import annotations

from typing import Any

from nichevid.comments.reactions import set_comment_like
from nichevid.comments.services import post_comment
from nichevid.safety import services as safety
from nichevid.safety.prefs import QUIETABLE, is_quiet
from nichevid.social import services as social
from nichevid.social.follows import set_follow
from nichevid.social.tables import Notification

from .conftest import browser

HTML = {"accept": "text/html"}


async def kinds_told(member: Any) -> list[str]:
    rows = await Notification.select(Notification.kind).where(Notification.recipient == member.id)
    return sorted(row["kind"] for row in rows)


async def save(client: Any, user: Any, **fields: str) -> Any:
    headers = await browser(client, user)
    headers.pop("HX-Request")
    form = {"who_may_comment": "everyone", **fields}
    return await client.post("/settings/safety", data=form, headers={**headers, **HTML})


async def test_a_member_turns_kinds_of_notifications_off(
    nv_client: Any, nv_resources: Any, make_user: Any, make_video: Any
) -> None:
    ada, bob = await make_user("ada", role="creator"), await make_user("bob")
    page = await nv_client.get("/settings/safety", headers=await browser(nv_client, ada))
    for kind in QUIETABLE:
        assert f'name="notice_{kind}" value="1" checked' in page.text
    # Ada keeps comments and replies, and turns likes, comment likes, mentions and
    # follows off.
    saved = await save(nv_client, ada, notices_shown="1", notice_comment="1", notice_reply="1")
    assert saved.status_code == 303, saved.text
    chosen = await safety.prefs_of(ada)
    assert chosen.quiet_notices == ("like", "comment_like", "mention", "follow")
    assert not chosen.email_digest  # its box was not sent either
    page = await nv_client.get("/settings/safety", headers=HTML)
    assert 'name="notice_like" value="1">' in page.text
    assert 'name="notice_reply" value="1" checked' in page.text

    video = await make_video(ada, caption="a climb")
    await social.set_like(bob, video, True)
    await set_follow(bob, ada, True)
    comment = await post_comment(nv_resources, bob, video, f"nice one @{ada.username}")
    mine = await post_comment(nv_resources, ada, video, "thanks", reply_to=comment.id)
    await set_comment_like(bob, int(mine.id), True, nv_resources)
    await post_comment(nv_resources, bob, video, "you are welcome", reply_to=mine.id)
    assert await kinds_told(ada) == ["comment", "reply"]
    # Bob chose nothing: he hears of everything.
    await set_comment_like(ada, int(comment.id), True, nv_resources)
    assert await kinds_told(bob) == ["comment_like", "reply"]


async def test_a_form_without_the_boxes_keeps_the_choice(nv_client: Any, make_user: Any) -> None:
    ada = await make_user("ada")
    await save(nv_client, ada, notices_shown="1")
    assert await is_quiet(ada, "follow")
    # An older form (no notices_shown) changes other choices and keeps these.
    await save(nv_client, ada, hide_like_counts="1")
    assert (await safety.prefs_of(ada)).quiet_notices == QUIETABLE
    await save(nv_client, ada, notices_shown="1", email_digest="1")
    assert (await safety.prefs_of(ada)).email_digest
    # Other kinds are never quiet; the site's own notices always reach the member.
    assert not await is_quiet(ada, "joined")
    assert not await is_quiet(await make_user("bob"), "like")
