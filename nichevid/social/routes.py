"""Social pages and the htmx fragments their buttons swap in.

The buttons send ``PUT`` to set a like, bookmark or follow and ``DELETE`` to undo it,
and get the button back in its new state: repeating a request changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, delete, get, post, put
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST

from nichevid.accounts.auth import current_user
from nichevid.accounts.guards import requires_login, requires_role
from nichevid.accounts.services import has_role
from nichevid.feed.signals import member_signal
from nichevid.i18n import gettext
from nichevid.plugins import notify
from nichevid.recommend.ratings import Signals
from nichevid.safety import services as safety
from nichevid.social import hashtags, listing, notifications, services
from nichevid.social.services import SocialError
from nichevid.social.slots import UNREAD_KEY


def resources_of(request: Request[Any, Any, Any]) -> Any:
    """The running app's :class:`nichevid.runtime.Resources`."""
    return request.app.state.resources


def http_error(exc: SocialError) -> HTTPException:
    """The HTTP error of a refused social action."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return HTTPException(status_code=exc.status, detail=exc.message, headers=headers)


async def _video(request: Request[Any, Any, Any], slug: str) -> Any:
    try:
        return await services.visible_video(resources_of(request), slug, current_user(request))
    except SocialError as exc:
        raise http_error(exc) from exc


def _button(template: str, slug: str, state: services.VideoState, viewer: Any) -> Template:
    return Template(
        template, context={"slug": slug, "state": state, "viewer": viewer, "counted": True}
    )


class SocialFragments(Controller):
    """The htmx answers of the like, bookmark, share and follow buttons."""

    path = "/social"
    guards = [requires_login]
    include_in_schema = False

    @put("/videos/{slug:str}/like", status_code=HTTP_200_OK)
    async def like(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """Like the video; the button comes back pressed, with the new count."""
        return await self._like(request, slug, True)

    @delete("/videos/{slug:str}/like", status_code=HTTP_200_OK)
    async def unlike(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """Take the like back."""
        return await self._like(request, slug, False)

    async def _like(self, request: Request[Any, Any, Any], slug: str, on: bool) -> Template:
        video, viewer = await _video(request, slug), current_user(request)
        state = await services.set_like(viewer, video, on)
        if await safety.likes_hidden([video.id]):
            state = replace(state, likes_hidden=True)
        if on:
            await member_signal(request, video.id, Signals(liked=True))
        return _button("social/_like.html", slug, state, viewer)

    @put("/videos/{slug:str}/bookmark", status_code=HTTP_200_OK)
    async def bookmark(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """Bookmark the video."""
        return await self._bookmark(request, slug, True)

    @delete("/videos/{slug:str}/bookmark", status_code=HTTP_200_OK)
    async def unbookmark(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """Remove the bookmark."""
        return await self._bookmark(request, slug, False)

    async def _bookmark(self, request: Request[Any, Any, Any], slug: str, on: bool) -> Template:
        video, viewer = await _video(request, slug), current_user(request)
        state = await services.set_bookmark(viewer, video, on)
        return _button("social/_bookmark.html", slug, state, viewer)

    @post("/videos/{slug:str}/share", status_code=HTTP_200_OK)
    async def share(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """Count a share; the button comes back with the new count."""
        video, viewer = await _video(request, slug), current_user(request)
        try:
            state = await services.record_share(resources_of(request), viewer, video)
        except SocialError as exc:
            raise http_error(exc) from exc
        await member_signal(request, video.id, Signals(shared=True))
        return _button("social/_share.html", slug, state, viewer)

    @put("/users/{username:str}/follow", status_code=HTTP_200_OK)
    async def follow(self, request: Request[Any, Any, Any], username: FromPath[str]) -> Template:
        """Follow the member; their profile counts come back with the button."""
        return await self._follow(request, username, True)

    @delete("/users/{username:str}/follow", status_code=HTTP_200_OK)
    async def unfollow(self, request: Request[Any, Any, Any], username: FromPath[str]) -> Template:
        """Stop following the member."""
        return await self._follow(request, username, False)

    async def _follow(self, request: Request[Any, Any, Any], username: str, on: bool) -> Template:
        viewer = current_user(request)
        try:
            member = await services.member(username)
            stats = await services.set_follow(viewer, member, on)
        except SocialError as exc:
            raise http_error(exc) from exc
        return Template(
            "social/_profile_stats.html",
            context={
                "stats": stats,
                "username": member.username,
                "member_id": member.id,
                "viewer": viewer,
            },
        )


class SocialPages(Controller):
    """The Following feed, notifications, hashtag pages and profile grid pages."""

    path = "/"
    include_in_schema = False

    @get("/following", guards=[requires_login])
    async def following(
        self, request: Request[Any, Any, Any], cursor: FromQuery[int | None] = None
    ) -> Template:
        """Videos of the members you follow, newest first; with ``cursor``, the next batch."""
        viewer = current_user(request)
        hidden = await safety.hidden_from(viewer)
        cards, next_cursor = await listing.following_cards(
            resources_of(request), viewer, before=cursor, hide=hidden.ids
        )
        await notify(request.app.state.pm, "prepare_cards", request=request, cards=cards)
        context = {"cards": cards, "cursor": next_cursor, "next_url": "/following"}
        if cursor is not None:
            return Template("social/_feed_batch.html", context=context, headers=_own_page(viewer))
        follows_anyone = bool(cards) or bool(await services.followee_ids(viewer))
        return Template(
            "social/following.html",
            context={**context, "user": viewer, "follows_anyone": follows_anyone},
            headers=_own_page(viewer),
        )

    @get("/notifications", guards=[requires_login])
    async def notifications(
        self, request: Request[Any, Any, Any], before: FromQuery[int | None] = None
    ) -> Template:
        """Your notifications, newest first; seeing them marks them read."""
        viewer = current_user(request)
        items, cursor = await notifications.notifications_of(viewer, before=before)
        items = await notifications.readable(request.app.state.resources, items, viewer)
        if items and before is None:
            await notifications.mark_all_read(viewer, up_to=items[0].id)
            request.scope[UNREAD_KEY] = await notifications.unread_count(viewer)  # type: ignore[literal-required]
        context = {"items": items, "cursor": cursor, "user": viewer}
        if before is not None and request.headers.get("hx-request"):
            return Template("social/_notifications_page.html", context=context)
        return Template("social/notifications.html", context=context)

    @get("/u/{username:str}/videos")
    async def profile_videos(
        self, request: Request[Any, Any, Any], username: FromPath[str], cursor: FromQuery[int]
    ) -> Template:
        """The next tiles of a profile's grid (htmx fragment)."""
        try:
            member = await services.member(username)
        except SocialError as exc:
            raise http_error(exc) from exc
        hidden = await safety.hidden_from(current_user(request))
        items, next_cursor = await listing.profile_grid(
            resources_of(request), member, before=cursor, hide=hidden.blocked
        )
        return Template(
            "social/_grid_page.html",
            context={
                "items": items,
                "cursor": next_cursor,
                "more_url": f"/u/{member.username}/videos",
            },
        )

    @get("/tag/{name:str}")
    async def tag(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Template:
        """A hashtag: its challenge description and its videos, newest first."""
        return await self._tag_page(request, hashtags.tag_or_not_found(name))

    @get("/tag/{name:str}/videos")
    async def tag_videos(
        self, request: Request[Any, Any, Any], name: FromPath[str], cursor: FromQuery[int]
    ) -> Template:
        """The next tiles of a hashtag's grid (htmx fragment)."""
        tag = hashtags.tag_or_not_found(name)
        viewer = current_user(request)
        hidden = await safety.hidden_from(viewer)
        items, next_cursor = await listing.hashtag_grid(
            resources_of(request), tag, before=cursor, hide=hidden.ids, viewer=viewer
        )
        return Template(
            "social/_grid_page.html",
            context={"items": items, "cursor": next_cursor, "more_url": f"/tag/{tag}/videos"},
            headers=_own_page(viewer),
        )

    @post("/tag/{name:str}", guards=[requires_role("moderator")])
    async def describe_tag(
        self, request: Request[Any, Any, Any], name: FromPath[str]
    ) -> Template | Redirect:
        """Write a hashtag's challenge description (moderators and admins)."""
        tag = hashtags.tag_or_not_found(name)
        form = await request.form()
        text = form.get("description", "")
        text = text if isinstance(text, str) else ""
        try:
            await hashtags.set_description(tag, text, current_user(request))
        except ValueError as exc:
            return await self._tag_page(
                request, tag, status=HTTP_400_BAD_REQUEST, error=str(exc), draft=text
            )
        return Redirect(path=f"/tag/{quote(tag)}?saved=1", status_code=HTTP_303_SEE_OTHER)

    @post("/tag/{name:str}/feature", guards=[requires_role("moderator")])
    async def feature_tag(
        self, request: Request[Any, Any, Any], name: FromPath[str]
    ) -> Template | Redirect:
        """Feature the hashtag on the search page (``featured=1``), or stop (moderators)."""
        tag = hashtags.tag_or_not_found(name)
        form = await request.form()
        wanted = form.get("featured") == "1"
        try:
            await hashtags.set_featured(tag, wanted, current_user(request))
        except ValueError as exc:
            return await self._tag_page(request, tag, status=409, feature_error=str(exc))
        from nichevid.search.discover import forget

        forget(resources_of(request))
        done = "featured" if wanted else "unfeatured"
        return Redirect(path=f"/tag/{quote(tag)}?saved={done}", status_code=HTTP_303_SEE_OTHER)

    async def _tag_page(
        self, request: Request[Any, Any, Any], tag: str, *, status: int = 200, **extra: Any
    ) -> Template:
        viewer = current_user(request)
        hidden = await safety.hidden_from(viewer)
        items, cursor = await listing.hashtag_grid(
            resources_of(request), tag, hide=hidden.ids, viewer=viewer
        )
        description = await hashtags.description_of(tag)
        await notify(request.app.state.pm, "prepare_hashtag", request=request, tag=tag)
        context = {
            "user": viewer,
            "name": tag,
            "description": description,
            "draft": description,
            "can_edit": has_role(viewer, "moderator"),
            "description_max": hashtags.DESCRIPTION_MAX,
            "saved": request.query_params.get("saved", ""),
            "featured": await hashtags.is_featured(tag),
            "items": items,
            "cursor": cursor,
            "more_url": f"/tag/{tag}/videos",
            "empty": gettext("No videos with #%(tag)s yet.", tag=tag),
            **extra,
        }
        return Template(
            "social/tag.html", context=context, status_code=status, headers=_own_page(viewer)
        )


def _own_page(viewer: Any) -> dict[str, str] | None:
    """Headers of a listing built for a signed-in ``viewer``: it may hold media signed
    for them (gated videos they may watch), so no shared cache keeps it."""
    return {"Cache-Control": "private, no-store"} if viewer is not None else None
