"""JSON API of likes, bookmarks, shares, follows and notifications.

Scripts send ``Authorization: Bearer <token>``; browsers their session and the
``x-csrftoken`` header. ``PUT`` sets a like, bookmark or follow and ``DELETE`` undoes
it; both answer the new state and count, and repeating them changes nothing. A video
the caller may not watch answers 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from nichevid.accounts.auth import current_user
from nichevid.accounts.guards import requires_login
from nichevid.app import BEARER_SCHEME
from nichevid.feed.signals import member_signal
from nichevid.recommend.ratings import Signals
from nichevid.safety import services as safety
from nichevid.social import notifications, pins, services
from nichevid.social.follows import ProfileStats
from nichevid.social.routes import http_error, resources_of
from nichevid.social.services import SocialError, VideoState


class VideoSocial(msgspec.Struct):
    """A video's counts, and whether the caller liked and bookmarked it; ``likes`` is
    ``null`` when the creator hides the like counts of their videos."""

    video_id: str
    likes: int | None
    bookmarks: int
    shares: int
    liked: bool
    bookmarked: bool


class ProfileSocial(msgspec.Struct):
    """A member's counts, and whether the caller follows them; ``likes`` (received) is
    ``null`` when the member hides the like counts of their videos."""

    username: str
    followers: int
    following: int
    likes: int | None
    followed: bool


class NotificationDocument(msgspec.Struct):
    """One notification: ``actor`` did ``kind`` (to ``video_id``)."""

    id: int
    kind: str
    actor: str | None
    video_id: str | None
    text: str
    created_at: datetime
    unread: bool


class NotificationsPage(msgspec.Struct):
    """Notifications newest first; pass ``next_before`` as ``before`` for older ones."""

    items: list[NotificationDocument]
    unread: int
    next_before: int | None


async def _document(video: Any, state: VideoState) -> VideoSocial:
    hidden = await safety.likes_hidden([int(video.id)])
    return VideoSocial(
        video_id=video.slug,
        likes=None if hidden else state.likes,
        bookmarks=state.bookmarks,
        shares=state.shares,
        liked=state.liked,
        bookmarked=state.bookmarked,
    )


def _profile(member: Any, stats: ProfileStats) -> ProfileSocial:
    likes = None if stats.likes_hidden else stats.likes
    return ProfileSocial(member.username, stats.followers, stats.following, likes, stats.followed)


class VideoPin(msgspec.Struct):
    """Whether a video is pinned, and how many of its creator's are."""

    id: str
    pinned: bool
    pinned_count: int


async def _pin(request: Request[Any, Any, Any], video_id: str, pinned: bool) -> VideoPin:
    try:
        video = await pins.own_video(video_id, current_user(request))
        video = await pins.set_pinned(video, pinned)
    except SocialError as exc:
        raise http_error(exc) from exc
    count = await pins.pinned_count(int(video.owner))
    return VideoPin(id=video.slug, pinned=video.pinned_at is not None, pinned_count=count)


class SocialApi(Controller):
    """Likes, bookmarks, shares and follows for scripts and apps."""

    path = "/api"
    tags = ["social"]
    security = [{BEARER_SCHEME: []}]

    async def _video(self, request: Request[Any, Any, Any], video_id: str) -> Any:
        try:
            return await services.visible_video(
                resources_of(request), video_id, current_user(request)
            )
        except SocialError as exc:
            raise http_error(exc) from exc

    @get("/videos/{video_id:str}/social")
    async def video_social(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> VideoSocial:
        """A video's like, bookmark and share counts, and what the caller did to it."""
        video = await self._video(request, video_id)
        states = await services.video_states([video.id], current_user(request))
        return await _document(video, states[video.id])

    @put("/videos/{video_id:str}/like", guards=[requires_login])
    async def like(self, request: Request[Any, Any, Any], video_id: FromPath[str]) -> VideoSocial:
        """Like the video (again: no change)."""
        video = await self._video(request, video_id)
        state = await services.set_like(current_user(request), video, True)
        await member_signal(request, video.id, Signals(liked=True))
        return await _document(video, state)

    @delete("/videos/{video_id:str}/like", guards=[requires_login], status_code=HTTP_200_OK)
    async def unlike(self, request: Request[Any, Any, Any], video_id: FromPath[str]) -> VideoSocial:
        """Take the like back (when there is none: no change)."""
        video = await self._video(request, video_id)
        state = await services.set_like(current_user(request), video, False)
        return await _document(video, state)

    @put("/videos/{video_id:str}/bookmark", guards=[requires_login])
    async def bookmark(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> VideoSocial:
        """Bookmark the video (again: no change)."""
        video = await self._video(request, video_id)
        state = await services.set_bookmark(current_user(request), video, True)
        return await _document(video, state)

    @delete("/videos/{video_id:str}/bookmark", guards=[requires_login], status_code=HTTP_200_OK)
    async def unbookmark(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> VideoSocial:
        """Remove the bookmark (when there is none: no change)."""
        video = await self._video(request, video_id)
        state = await services.set_bookmark(current_user(request), video, False)
        return await _document(video, state)

    @post("/videos/{video_id:str}/share", guards=[requires_login], status_code=HTTP_200_OK)
    async def share(self, request: Request[Any, Any, Any], video_id: FromPath[str]) -> VideoSocial:
        """Count one share of the video (at most 60 an hour per caller; 429 past that)."""
        video = await self._video(request, video_id)
        try:
            state = await services.record_share(resources_of(request), current_user(request), video)
        except SocialError as exc:
            raise http_error(exc) from exc
        await member_signal(request, video.id, Signals(shared=True))
        return await _document(video, state)

    @put("/videos/{video_id:str}/pin", guards=[requires_login])
    async def pin(self, request: Request[Any, Any, Any], video_id: FromPath[str]) -> VideoPin:
        """Keep one of your videos at the top of your profile (at most three)."""
        return await _pin(request, video_id, True)

    @delete("/videos/{video_id:str}/pin", guards=[requires_login], status_code=HTTP_200_OK)
    async def unpin(self, request: Request[Any, Any, Any], video_id: FromPath[str]) -> VideoPin:
        """Let one of your videos go back to its place on your profile."""
        return await _pin(request, video_id, False)

    @get("/users/{username:str}/social")
    async def profile_social(
        self, request: Request[Any, Any, Any], username: FromPath[str]
    ) -> ProfileSocial:
        """A member's follower, following and like counts, and whether the caller follows."""
        try:
            member = await services.member(username)
        except SocialError as exc:
            raise http_error(exc) from exc
        stats = await services.profile_stats(member, current_user(request))
        return _profile(member, stats)

    @put("/users/{username:str}/follow", guards=[requires_login])
    async def follow(
        self, request: Request[Any, Any, Any], username: FromPath[str]
    ) -> ProfileSocial:
        """Follow the member (again: no change; yourself: 400)."""
        return await self._follow(request, username, True)

    @delete("/users/{username:str}/follow", guards=[requires_login], status_code=HTTP_200_OK)
    async def unfollow(
        self, request: Request[Any, Any, Any], username: FromPath[str]
    ) -> ProfileSocial:
        """Stop following the member (when you do not: no change)."""
        return await self._follow(request, username, False)

    async def _follow(
        self, request: Request[Any, Any, Any], username: str, on: bool
    ) -> ProfileSocial:
        try:
            member = await services.member(username)
            stats = await services.set_follow(current_user(request), member, on)
        except SocialError as exc:
            raise http_error(exc) from exc
        return _profile(member, stats)

    @get("/notifications", guards=[requires_login])
    async def notifications(
        self, request: Request[Any, Any, Any], before: FromQuery[int | None] = None
    ) -> NotificationsPage:
        """Your notifications, newest first (reading them here does not mark them read)."""
        viewer = current_user(request)
        items, cursor = await notifications.notifications_of(viewer, before=before)
        items = await notifications.readable(request.app.state.resources, items, viewer)
        return NotificationsPage(
            items=[
                NotificationDocument(
                    item.id,
                    item.kind,
                    item.actor,
                    item.video,
                    item.text,
                    item.created_at,
                    item.unread,
                )
                for item in items
            ],
            unread=await notifications.unread_count(viewer),
            next_before=cursor,
        )

    @post("/notifications/read", guards=[requires_login], status_code=HTTP_200_OK)
    async def read_all(self, request: Request[Any, Any, Any]) -> NotificationsPage:
        """Mark all your notifications read."""
        viewer = current_user(request)
        await notifications.mark_all_read(viewer)
        return NotificationsPage(items=[], unread=0, next_before=None)
