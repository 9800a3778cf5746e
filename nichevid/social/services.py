"""Social services: likes, bookmarks, shares and follows, as plain async functions.

Pages, the JSON API and other packages call these; none of them needs HTTP. Rules:

* Only ready videos the viewer may watch (:func:`nichevid.media.services.may_view`) can
  be liked, bookmarked or shared; for any other video, and for a slug that names none,
  the answer is the same "not found", so nothing tells whether a hidden video exists.
* Liking and bookmarking are idempotent: setting the state it already has changes
  nothing and answers the current state and count.
* Counts live in ``VideoStats`` and change in the same transaction as the row they
  count, so a page of cards reads them in one statement.
* Nobody follows themselves; following a member who does not exist answers "not found".
* Shares are counted for signed-in viewers, at most :data:`SHARES_PER_HOUR` per viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nichevid.core.errors import no_video
from nichevid.db import writing
from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.media.tables import Video
from nichevid.social.errors import SocialError
from nichevid.social.follows import (
    ProfileStats,
    end_follows_between,
    followee_ids,
    followers_among,
    is_following,
    member,
    profile_stats,
    set_follow,
)
from nichevid.social.notifications import notify
from nichevid.social.tables import Bookmark, Like, Share, VideoStats

SHARES_PER_HOUR = 60
HOUR = 3600

# Raw statements here interpolate only these table names and fixed column names; every
# value is a bound parameter ({} placeholders).
_STATS = VideoStats._meta.tablename


def short_count(value: int) -> str:
    """A count as a card shows it: ``987``, ``1.2K``, ``45K``, ``3.4M``."""
    for size, suffix in ((1_000_000, "M"), (1_000, "K")):
        if value >= size:
            text = f"{value / size:.1f}" if value < size * 10 else str(value // size)
            return text.removesuffix(".0") + suffix
    return str(value)


@dataclass(frozen=True)
class VideoState:
    """The counts of one video and what the viewer did to it."""

    likes: int = 0
    bookmarks: int = 0
    shares: int = 0
    liked: bool = False
    bookmarked: bool = False
    # The creator hides like counts (Settings, Safety): buttons show no number.
    likes_hidden: bool = False

    @property
    def likes_short(self) -> str:
        """The like count as a card shows it."""
        return short_count(self.likes)

    @property
    def bookmarks_short(self) -> str:
        """The bookmark count as a card shows it."""
        return short_count(self.bookmarks)

    @property
    def shares_short(self) -> str:
        """The share count as a card shows it."""
        return short_count(self.shares)


def _id(row: Any) -> int:
    return int(row if isinstance(row, int) else row.id)


async def visible_video(resources: Any, slug: str, viewer: Any) -> Video:
    """The ready video ``slug`` names, when ``viewer`` may watch it.

    Raises:
        SocialError: 404, the same for a hidden, unfinished, removed or unknown video.
    """
    video = await media.get_video(slug=slug) if 0 < len(slug) <= 16 else None
    if video is None or video.status != "ready":
        raise SocialError(404, no_video())
    if not await media.may_view(resources, video, viewer):
        raise SocialError(404, no_video())
    return video


async def _toggle(
    table: type[Like | Bookmark], counter: str, viewer: int, video: int, on: bool
) -> bool:
    """Add or remove the (viewer, video) row and keep its counter; whether anything changed."""
    name = table._meta.tablename
    async with writing(VideoStats):
        if on:
            changed = await table.raw(
                f"INSERT INTO {name} (viewer, video) VALUES ({{}}, {{}}) "  # noqa: S608
                "ON CONFLICT (viewer, video) DO NOTHING RETURNING id",
                viewer,
                video,
            )
            if changed:
                await VideoStats.raw(
                    f"INSERT INTO {_STATS} (video, {counter}) VALUES ({{}}, 1) "  # noqa: S608
                    f"ON CONFLICT (video) DO UPDATE SET {counter} = {_STATS}.{counter} + 1",
                    video,
                )
        else:
            changed = await table.raw(
                f"DELETE FROM {name} WHERE viewer = {{}} AND video = {{}} RETURNING id",  # noqa: S608
                viewer,
                video,
            )
            if changed:
                await VideoStats.raw(
                    f"UPDATE {_STATS} SET {counter} = {counter} - 1 WHERE video = {{}}",  # noqa: S608
                    video,
                )
    return bool(changed)


async def set_like(viewer: Any, video: Video, liked: bool) -> VideoState:
    """Like (``liked=True``) or unlike ``video``; the owner is told of a new like once.

    Returns:
        The video's state for ``viewer`` afterwards.
    """
    if await _toggle(Like, "likes", _id(viewer), video.id, liked) and liked:
        await notify(video.owner, "like", viewer, video=video)
    return (await video_states([video.id], viewer))[video.id]


async def set_bookmark(viewer: Any, video: Video, bookmarked: bool) -> VideoState:
    """Keep ``video`` for later (``bookmarked=True``) or let it go; nobody is told."""
    await _toggle(Bookmark, "bookmarks", _id(viewer), video.id, bookmarked)
    return (await video_states([video.id], viewer))[video.id]


async def record_share(resources: Any, viewer: Any, video: Video) -> VideoState:
    """Count one share of ``video`` by ``viewer``.

    Raises:
        SocialError: 429 past :data:`SHARES_PER_HOUR` shares in the hour, with the wait.
    """
    verdict = await resources.limiter.hit(f"share:{_id(viewer)}", SHARES_PER_HOUR, HOUR)
    if not verdict.allowed:
        minutes = max(1, verdict.retry_after // 60)
        raise SocialError(
            429,
            gettext(
                "You shared %(num)s times this hour; the link still works, but "
                "shares count again in %(minutes)s min.",
                num=SHARES_PER_HOUR,
                minutes=minutes,
            ),
            verdict.retry_after,
        )
    async with writing(VideoStats):
        await Share.insert(Share(viewer=_id(viewer), video=video.id))
        await VideoStats.raw(
            f"INSERT INTO {_STATS} (video, shares) VALUES ({{}}, 1) "  # noqa: S608
            f"ON CONFLICT (video) DO UPDATE SET shares = {_STATS}.shares + 1",
            video.id,
        )
    return (await video_states([video.id], viewer))[video.id]


async def viewer_marks(video_ids: list[int], viewer: Any) -> list[tuple[int, str]]:
    """``(video, "like" | "bookmark")`` for each of ``video_ids`` the viewer liked or kept."""
    marks = ", ".join("{}" for _ in video_ids)
    like, bookmark = Like._meta.tablename, Bookmark._meta.tablename
    rows = await Like.raw(
        f"SELECT video, 'like' AS mark FROM {like} WHERE viewer = {{}} AND video IN ({marks}) "  # noqa: S608
        f"UNION ALL SELECT video, 'bookmark' FROM {bookmark} "
        f"WHERE viewer = {{}} AND video IN ({marks})",
        _id(viewer),
        *video_ids,
        _id(viewer),
        *video_ids,
    )
    return [(int(row["video"]), str(row["mark"])) for row in rows]


async def video_states(video_ids: list[int], viewer: Any) -> dict[int, VideoState]:
    """Counts and the viewer's likes and bookmarks of many videos, in one statement.

    Args:
        video_ids: The videos, e.g. a page of feed cards.
        viewer: A user (row or id), or ``None`` when signed out.

    Returns:
        A state for every id asked (all zero for videos nothing was counted for).
    """
    states = {video_id: VideoState() for video_id in video_ids}
    if not video_ids:
        return states
    marks = ", ".join("{}" for _ in video_ids)
    if viewer is None:
        mine = "0 AS liked, 0 AS bookmarked"
        args: list[Any] = list(video_ids)
    else:
        like, bookmark = Like._meta.tablename, Bookmark._meta.tablename
        mine = (
            f"EXISTS (SELECT 1 FROM {like} l WHERE l.video = s.video AND l.viewer = {{}}) "  # noqa: S608
            f"AS liked, EXISTS (SELECT 1 FROM {bookmark} b WHERE b.video = s.video "
            "AND b.viewer = {}) AS bookmarked"
        )
        args = [_id(viewer), _id(viewer), *video_ids]
    rows = await VideoStats.raw(
        f"SELECT s.video, s.likes, s.bookmarks, s.shares, {mine} "  # noqa: S608
        f"FROM {_STATS} s WHERE s.video IN ({marks})",
        *args,
    )
    for row in rows:
        states[int(row["video"])] = VideoState(
            likes=int(row["likes"]),
            bookmarks=int(row["bookmarks"]),
            shares=int(row["shares"]),
            liked=bool(row["liked"]),
            bookmarked=bool(row["bookmarked"]),
        )
    return states


__all__ = [
    "ProfileStats",
    "SocialError",
    "VideoState",
    "end_follows_between",
    "followee_ids",
    "followers_among",
    "is_following",
    "member",
    "notify",
    "profile_stats",
    "record_share",
    "set_bookmark",
    "set_follow",
    "set_like",
    "short_count",
    "video_states",
    "visible_video",
]
