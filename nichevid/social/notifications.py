"""Notifications: what happened for a member, stored, listed and counted.

Other packages tell members about their own events with :func:`notify`, e.g. comments::

    from nichevid.social.services import notify

    await notify(video.owner, "comment", author, video=video, text=comment.body[:200])

Rules: nobody is notified of their own doing; kinds that can be toggled or repeated
(``like``, ``follow``, ``mention``, ``comment_like``) are stored once per actor and
video, so liking, unliking and liking again notifies once, while every comment or reply
is its own entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.accounts.tables import User
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.safety.prefs import is_quiet
from nichevid.safety.tables import Block, Mute, SafetyPrefs
from nichevid.social.tables import Follow, Notification

# Kinds stored at most once per (recipient, actor, video).
ONCE = ("like", "follow", "mention", "new_video", "comment_like")
# Followers told of a new video per INSERT statement.
FOLLOWERS_PER_STATEMENT = 500
TEXT_MAX = 500
PAGE_SIZE = 30
_KIND = re.compile(r"^[a-z][a-z_]{0,15}$")


@dataclass(frozen=True)
class Item:
    """One notification as the page and the API show it."""

    id: int
    kind: str
    actor: str | None
    actor_name: str
    video: str | None
    text: str
    created_at: datetime
    unread: bool
    # The id of the notification's video when that video is not public (0 otherwise):
    # its excerpt shows only to readers who may watch the video now.
    gated: int = 0

    @property
    def says(self) -> str:
        """What happened, after the actor's name, in the reader's language."""
        return kinds().get(self.kind, "")


def kinds() -> dict[str, str]:
    """What each kind says, after the actor's name; other kinds show their text alone."""
    return {
        "like": gettext("liked your video"),
        "follow": gettext("started following you"),
        "comment": gettext("commented on your video"),
        "reply": gettext("replied to your comment"),
        "comment_like": gettext("liked your comment"),
        "mention": gettext("mentioned you"),
        "new_video": gettext("posted a new video"),
        "creator_approved": gettext(
            "Your request to become a creator was approved: you can upload videos now."
        ),
        "creator_declined": gettext("Your request to become a creator was declined."),
        "joined": gettext("joined with your invitation"),
    }


def _id(row: Any) -> int | None:
    if row is None:
        return None
    return int(row if isinstance(row, int) else row.id)


async def notify(recipient: Any, kind: str, actor: Any, video: Any = None, text: str = "") -> bool:
    """Tell ``recipient`` that ``actor`` did ``kind`` (to ``video``).

    Args:
        recipient: The member told (a user row or id).
        kind: ``like``, ``follow``, ``comment``, ``reply``, ``mention``, or another
            lower-case word of up to 16 letters (shown with ``text`` alone).
        actor: Who did it (row or id), or ``None`` for the site itself.
        video: The video it is about (row or id), if any.
        text: A short excerpt, e.g. the comment; cut at 500 characters.

    Returns:
        Whether a notification was stored (not for one's own doing, nor a repeat of a
        ``like``, ``follow`` or ``mention``, nor a kind the recipient turned off in
        their safety and well-being settings).

    Raises:
        ValueError: For a kind that is not a lower-case word.
    """
    if not _KIND.match(kind):
        raise ValueError(f"notification kinds are lower-case words of 1-16 letters, not {kind!r}")
    recipient_id, actor_id, video_id = _id(recipient), _id(actor), _id(video)
    if recipient_id is None or recipient_id == actor_id or await is_quiet(recipient_id, kind):
        return False
    dedupe = f"{kind}:{recipient_id}:{actor_id or 0}:{video_id or 0}" if kind in ONCE else None
    row = Notification(
        recipient=recipient_id,
        kind=kind,
        actor=actor_id,
        video=video_id,
        text=text.strip()[:TEXT_MAX],
        dedupe=dedupe,
    )
    query = Notification.insert(row).returning(Notification.id)
    if dedupe is not None:
        query = query.on_conflict(target=Notification.dedupe, action="DO NOTHING")
    return bool(await query)


def _mentioned(video: Video) -> list[str]:
    names = video.mentions
    if isinstance(names, str):  # Piccolo hands JSON columns back as text
        names = json.loads(names or "[]")
    return [str(name) for name in names or []]


async def notify_followers(video: Video) -> int:
    """Tell the owner's followers that a ready video of theirs is out.

    Only for videos the followers may watch (public or followers-only); not those who
    turned these notices off, muted or blocked the owner (or were blocked by them),
    nor those its caption mentions (they are told of the mention instead). Written in
    a few statements whatever the number of followers; repeats of an earlier call
    store nothing.

    Returns:
        How many followers were told.
    """
    if video.status != "ready" or video.visibility not in ("public", "followers"):
        return 0
    owner = _id(video.owner)
    followers = {
        int(row["follower"])
        for row in await Follow.select(Follow.follower).where(Follow.followee == owner)
    }
    if not followers:
        return 0
    left_out = {int(r["muter"]) for r in await Mute.select(Mute.muter).where(Mute.muted == owner)}
    # Those who turned the notices off (few: it is on unless a member chose otherwise).
    quiet = await SafetyPrefs.select(SafetyPrefs.member).where(
        SafetyPrefs.new_video_notices == False  # noqa: E712
    )
    left_out |= {int(r["member"]) for r in quiet}
    blocks = await Block.select(Block.blocker, Block.blocked).where(
        (Block.blocked == owner) | (Block.blocker == owner)
    )
    left_out |= {int(r["blocker"]) for r in blocks} | {int(r["blocked"]) for r in blocks}
    names = _mentioned(video)
    if names:
        mentioned = await User.select(User.id).where(User.username.is_in(names))
        left_out |= {int(row["id"]) for row in mentioned}
    told_ids = sorted(followers - left_out - {owner})
    told = 0
    for first in range(0, len(told_ids), FOLLOWERS_PER_STATEMENT):
        rows = [
            Notification(
                recipient=follower,
                kind="new_video",
                actor=owner,
                video=video.id,
                text="",
                dedupe=f"new_video:{follower}:{owner}:{video.id}",
            )
            for follower in told_ids[first : first + FOLLOWERS_PER_STATEMENT]
        ]
        stored = (
            await Notification.insert(*rows)
            .on_conflict(target=Notification.dedupe, action="DO NOTHING")
            .returning(Notification.id)
        )
        told += len(stored)
    return told


async def notify_mentions(video: Video) -> int:
    """Tell the members a ready video's caption mentions, when they may watch it.

    They may when the video is public, or followers-only and they follow its owner;
    members mentioned in a private or subscribers-only video are not told.

    Returns:
        How many were told (repeats of an earlier call are not).
    """
    from nichevid.social.follows import followers_among

    names = _mentioned(video)
    if video.status != "ready" or video.visibility not in ("public", "followers") or not names:
        return 0
    users = await User.select(User.id).where(
        User.username.is_in(names) & (User.is_active == True)  # noqa: E712
    )
    ids = {int(row["id"]) for row in users}
    if video.visibility == "followers":
        ids = await followers_among(video.owner, ids)
    told = 0
    for user_id in sorted(ids):
        told += await notify(user_id, "mention", video.owner, video=video)
    return told


async def unread_count(recipient: Any) -> int:
    """How many notifications ``recipient`` has not seen."""
    return int(
        await Notification.count().where(
            (Notification.recipient == _id(recipient)) & Notification.read_at.is_null()
        )
    )


async def notifications_of(
    recipient: Any, *, before: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Item], int | None]:
    """``recipient``'s notifications, newest first, older than the ``before`` cursor.

    Returns:
        The items and the cursor of the next page (``None`` at the end).
    """
    note, user, video = (t._meta.tablename for t in (Notification, User, Video))
    older = "AND n.id < {}" if before is not None else ""
    args: list[Any] = [_id(recipient), *([before] if before is not None else []), limit + 1]
    rows = await Notification.raw(
        f"SELECT n.id, n.kind, n.text, n.created_at, n.read_at, "  # noqa: S608
        f"u.username, u.display_name, v.slug, v.id AS video_id, v.visibility FROM {note} n "
        f"LEFT JOIN {user} u ON u.id = n.actor LEFT JOIN {video} v ON v.id = n.video "
        f"WHERE n.recipient = {{}} {older} ORDER BY n.id DESC LIMIT {{}}",
        *args,
    )
    items = [
        Item(
            id=int(row["id"]),
            kind=row["kind"],
            actor=row["username"],
            actor_name=row["display_name"] or row["username"] or "",
            video=row["slug"],
            text=row["text"] or "",
            created_at=_aware(row["created_at"]),
            unread=row["read_at"] is None,
            gated=int(row["video_id"] or 0) if row["visibility"] not in (None, "public") else 0,
        )
        for row in rows[:limit]
    ]
    return items, items[-1].id if len(rows) > limit else None


async def readable(resources: Any, items: list[Item], reader: Any) -> list[Item]:
    """``items`` as ``reader`` may read them now: the excerpt (a comment, say) of a
    notification about a followers-only, subscribers-only or private video shows only
    while :func:`nichevid.media.services.may_view` admits the reader, so a former
    subscriber no longer reads comments of a video they may not watch."""
    from dataclasses import replace

    from nichevid.media.services import may_view

    gated = sorted({item.gated for item in items if item.gated and item.text})
    if not gated:
        return items
    videos = await Video.objects().where(Video.id.is_in(gated))
    allowed = {int(v.id) for v in videos if await may_view(resources, v, reader)}
    return [
        replace(item, text="") if item.gated and item.gated not in allowed else item
        for item in items
    ]


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite returns raw text for timestamps in raw queries
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def mark_all_read(recipient: Any, up_to: int | None = None) -> None:
    """Mark ``recipient``'s notifications read (only those up to id ``up_to``, when given,
    so what arrives while a page is open stays unread)."""
    where = (Notification.recipient == _id(recipient)) & Notification.read_at.is_null()
    if up_to is not None:
        where = where & (Notification.id <= up_to)
    await Notification.update({Notification.read_at: datetime.now(UTC)}).where(where)
