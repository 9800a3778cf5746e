"""Who may watch what: a subscription's access window and the minimum tier of a video.

A subscription gives access from its first paid (or trial) period until the end of
the last one, plus ``renewal_leeway_hours`` while it renews, or until
``grace_until`` after a failed payment. A cancelled one runs to the end of its paid
period; an ended one gives nothing. Access is computed from these times, so a
subscription lapses by itself when no renewal comes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from nichevid.media.tables import Video
from nichevid_subscriptions.settings import subscription_settings
from nichevid_subscriptions.tables import Subscription, Tier, VideoTier

LIVE = ("trialing", "active", "past_due", "cancelled")


def access_until(sub: Subscription, settings: Any) -> int:
    """Until when (Unix seconds) ``sub`` lets its member watch; 0 when it never does.

    Stored in ``sub.access_until`` whenever the subscription changes, so checking a
    viewer needs neither the settings nor any arithmetic.
    """
    if sub.status not in LIVE or not sub.period_end:
        return 0
    until = int(sub.period_end)
    if sub.status == "active":
        until += subscription_settings(settings).renewal_leeway_hours * 3600
    if sub.status == "past_due":
        until = max(until, int(sub.grace_until))
    return until


def has_access(sub: Subscription, now: float | None = None) -> bool:
    """Whether ``sub`` lets its member watch at ``now`` (default: the current time)."""
    return sub.status in LIVE and int(sub.access_until) > (time.time() if now is None else now)


def shown_status(sub: Subscription, now: float | None = None) -> str:
    """The status to show: ``lapsed`` once a running subscription gives no access."""
    if sub.status in LIVE and not has_access(sub, now):
        return "lapsed"
    return str(sub.status)


async def live_level(member_id: int, creator_id: int, now: float | None = None) -> int:
    """The highest tier level ``member_id`` may watch of ``creator_id`` now (0: none)."""
    subs = await Subscription.objects(Subscription.tier).where(
        (Subscription.member == member_id)
        & (Subscription.creator == creator_id)
        & Subscription.status.is_in(list(LIVE))
    )
    levels = [int(s.tier.level) for s in subs if has_access(s, now)]
    return max(levels, default=0)


async def required_level(video_id: int) -> int:
    """The lowest level that may watch a subscribers-only video (1 without a choice)."""
    row = await VideoTier.select(VideoTier.tier.level).where(VideoTier.video == video_id).first()
    return int(row["tier.level"]) if row else 1


async def may_watch(video: Any, viewer: Any, now: float | None = None) -> bool | None:
    """``True`` for a live subscriber of the video's tier or higher; ``None`` otherwise
    (the core then refuses)."""
    if viewer is None:
        return None
    owner = int(video.owner if isinstance(video.owner, int) else video.owner.id)
    level = await live_level(int(viewer.id), owner, now)
    if level and level >= await required_level(int(video.id)):
        return True
    return None


async def may_watch_many(videos: list[Any], viewer: Any) -> dict[int, bool]:
    """``may_watch`` for a page of videos: ``{video_id: True}`` for those ``viewer`` may
    watch among the subscribers-only ones; the others are left out (the core refuses).

    One query for the videos' tiers and one per creator among them (a page holds few).
    """
    paid = [video for video in videos if video.visibility == "subscribers"]
    if viewer is None or not paid:
        return {}
    owners = {int(v.owner if isinstance(v.owner, int) else v.owner.id) for v in paid}
    levels = {owner: await live_level(int(viewer.id), owner) for owner in sorted(owners)}
    needed = await _required_levels([int(video.id) for video in paid])
    allowed = {}
    for video in paid:
        level = levels[int(video.owner if isinstance(video.owner, int) else video.owner.id)]
        if level and level >= needed[int(video.id)]:
            allowed[int(video.id)] = True
    return allowed


@dataclass(frozen=True)
class Listed:
    """A subscribers-only video as a profile lists it; ``open``: the viewer may watch it."""

    slug: str
    caption: str
    open: bool


async def profile_videos(creator_id: int, viewer: Any, limit: int) -> list[Listed]:
    """The creator's newest ready subscribers-only videos, and which ``viewer`` may watch
    (the creator all of them, a live subscriber those of their tier or lower)."""
    rows = (
        await Video.select(Video.id, Video.slug, Video.caption)
        .where(
            (Video.owner == creator_id)
            & (Video.status == "ready")
            & (Video.visibility == "subscribers")
        )
        .order_by(Video.id, ascending=False)
        .limit(limit)
    )
    if not rows:
        return []
    if viewer is not None and int(viewer.id) == creator_id:
        return [Listed(r["slug"], r["caption"] or "", True) for r in rows]
    level = await live_level(int(viewer.id), creator_id) if viewer is not None else 0
    needed = await _required_levels([int(r["id"]) for r in rows])
    return [
        Listed(r["slug"], r["caption"] or "", bool(level) and level >= needed[int(r["id"])])
        for r in rows
    ]


async def subscribed_videos(member_id: int, limit: int, now: float | None = None) -> list[int]:
    """The newest ready subscribers-only videos ``member_id`` may watch now through their
    live subscriptions (of the video's tier or higher), at most ``limit``."""
    subs = await Subscription.objects(Subscription.tier).where(
        (Subscription.member == member_id) & Subscription.status.is_in(list(LIVE))
    )
    levels: dict[int, int] = {}
    for sub in subs:
        if has_access(sub, now):
            creator = int(sub.creator)
            levels[creator] = max(levels.get(creator, 0), int(sub.tier.level))
    if not levels:
        return []
    rows = (
        await Video.select(Video.id, Video.owner)
        .where(
            Video.owner.is_in(list(levels))
            & (Video.status == "ready")
            & (Video.visibility == "subscribers")
        )
        .order_by(Video.id, ascending=False)
        # Some may need a higher tier than the member's: read a few more than asked.
        .limit(3 * limit)
    )
    needed = await _required_levels([int(r["id"]) for r in rows]) if rows else {}
    found = [int(r["id"]) for r in rows if levels[int(r["owner"])] >= needed[int(r["id"])]]
    return found[:limit]


async def _required_levels(video_ids: list[int]) -> dict[int, int]:
    """``required_level`` of each video, in one query."""
    rows = await VideoTier.select(VideoTier.video, VideoTier.tier.level).where(
        VideoTier.video.is_in(video_ids)
    )
    found = {int(r["video"]): int(r["tier.level"]) for r in rows}
    return {video_id: found.get(video_id, 1) for video_id in video_ids}


async def set_video_tier(video: Any, tier: Tier | None) -> None:
    """Make ``tier`` the minimum tier of ``video`` (``None``: every tier)."""
    await VideoTier.delete().where(VideoTier.video == video.id)
    if tier is not None:
        await VideoTier(video=video.id, tier=tier.id).save()


async def video_tiers(video_ids: list[int]) -> dict[int, int]:
    """``{video id: tier id}`` of the videos that have a minimum tier."""
    if not video_ids:
        return {}
    rows = await VideoTier.select(VideoTier.video, VideoTier.tier).where(
        VideoTier.video.is_in(video_ids)
    )
    return {int(r["video"]): int(r["tier"]) for r in rows}
