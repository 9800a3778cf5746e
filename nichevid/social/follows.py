"""Follows: who follows whom, and the counts a profile shows.

Nobody follows themselves; following a member who does not exist, or whose account is
closed, answers "not found". A new follow tells the member followed, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nichevid.accounts import services as accounts
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.safety.tables import SafetyPrefs
from nichevid.social.errors import SocialError
from nichevid.social.notifications import notify
from nichevid.social.tables import Follow, VideoStats

# Raw statements interpolate only table names; every value is a bound parameter.
_FOLLOW = Follow._meta.tablename
_STATS = VideoStats._meta.tablename
_PREFS = SafetyPrefs._meta.tablename


def self_follow() -> str:
    """The refusal of following oneself."""
    return gettext("You cannot follow yourself; follow other members to fill your Following feed.")


@dataclass(frozen=True)
class ProfileStats:
    """The counts a profile shows, and whether the viewer follows its member."""

    followers: int
    following: int
    likes: int
    followed: bool
    # The member hides the like counts of their videos, this total too.
    likes_hidden: bool = False


def _id(row: Any) -> int:
    return int(row if isinstance(row, int) else row.id)


async def member(username: str) -> Any:
    """The active member called ``username``.

    Raises:
        SocialError: 404 naming the username.
    """
    user = await accounts.get_user_by_username(username) if len(username) <= 64 else None
    if user is None or not user.is_active:
        raise SocialError(404, gettext("There is no member called '%(name)s'.", name=username[:64]))
    return user


async def set_follow(follower: Any, followee: Any, following: bool) -> ProfileStats:
    """Follow (``following=True``) or unfollow ``followee``; they are told of a new follow.

    Returns:
        ``followee``'s profile counts as ``follower`` sees them afterwards.

    Raises:
        SocialError: 400 when ``follower`` and ``followee`` are the same member, 409 when
            the follower blocks the followee, 403 when the followee blocks the follower.
    """
    if _id(follower) == _id(followee):
        raise SocialError(400, self_follow())
    if following:
        from nichevid.safety import services as safety

        if await safety.is_blocking(follower, followee):
            raise SocialError(409, gettext("You block this member; unblock them to follow."))
        if await safety.blocked_between(follower, followee):
            raise SocialError(403, gettext("You cannot follow this member."))
        changed = await Follow.raw(
            f"INSERT INTO {_FOLLOW} (follower, followee) VALUES ({{}}, {{}}) "  # noqa: S608
            "ON CONFLICT (follower, followee) DO NOTHING RETURNING id",
            _id(follower),
            _id(followee),
        )
        if changed:
            await notify(followee, "follow", follower)
    else:
        await Follow.delete().where(
            (Follow.follower == _id(follower)) & (Follow.followee == _id(followee))
        )
    return await profile_stats(followee, follower)


async def end_follows_between(one: Any, other: Any) -> None:
    """End any follow between the two members, both ways (a block does this)."""
    a, b = _id(one), _id(other)
    await Follow.delete().where(
        ((Follow.follower == a) & (Follow.followee == b))
        | ((Follow.follower == b) & (Follow.followee == a))
    )


async def is_following(follower: Any, followee: Any) -> bool:
    """Whether ``follower`` follows ``followee`` (rows or ids)."""
    return bool(
        await Follow.exists().where(
            (Follow.follower == _id(follower)) & (Follow.followee == _id(followee))
        )
    )


async def followers_among(followee: Any, user_ids: set[int]) -> set[int]:
    """The members of ``user_ids`` who follow ``followee``."""
    if not user_ids:
        return set()
    rows = await Follow.select(Follow.follower).where(
        (Follow.followee == _id(followee)) & Follow.follower.is_in(list(user_ids))
    )
    return {int(row["follower"]) for row in rows}


async def followees_among(follower: Any, user_ids: set[int]) -> set[int]:
    """The members of ``user_ids`` whom ``follower`` follows, in one query."""
    if not user_ids:
        return set()
    rows = await Follow.select(Follow.followee).where(
        (Follow.follower == _id(follower)) & Follow.followee.is_in(list(user_ids))
    )
    return {int(row["followee"]) for row in rows}


async def followee_ids(follower: Any) -> set[int]:
    """Ids of everyone ``follower`` follows."""
    rows = await Follow.select(Follow.followee).where(Follow.follower == _id(follower))
    return {int(row["followee"]) for row in rows}


async def profile_stats(member: Any, viewer: Any) -> ProfileStats:
    """Followers, following, likes received and whether ``viewer`` follows, in one statement."""
    video = Video._meta.tablename
    viewer_id = _id(viewer) if viewer is not None else 0
    member_id = _id(member)
    [row] = await Follow.raw(
        f"SELECT (SELECT COUNT(*) FROM {_FOLLOW} WHERE followee = {{}}) AS followers, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {_FOLLOW} WHERE follower = {{}}) AS following, "
        f"(SELECT COALESCE(SUM(s.likes), 0) FROM {_STATS} s JOIN {video} v ON v.id = s.video "
        "WHERE v.owner = {} AND v.status <> 'removed') AS likes, "
        f"EXISTS (SELECT 1 FROM {_FOLLOW} WHERE follower = {{}} AND followee = {{}}) AS followed, "
        f"COALESCE((SELECT hide_like_counts FROM {_PREFS} WHERE member = {{}}), FALSE) "
        "AS likes_hidden",
        member_id,
        member_id,
        member_id,
        viewer_id,
        member_id,
        member_id,
    )
    return ProfileStats(
        followers=int(row["followers"]),
        following=int(row["following"]),
        likes=int(row["likes"]),
        followed=bool(row["followed"]),
        likes_hidden=bool(row["likes_hidden"]),
    )
