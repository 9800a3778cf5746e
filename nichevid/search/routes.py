"""The search page (``/search``, htmx as you type) and its JSON API (``/api/search``)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import HTTPException
from litestar.params import FromQuery
from litestar.response import Template

from nichevid.safety.services import hidden_from
from nichevid.search import discover, services
from nichevid.search.services import Kind, Results

PAGE_LIMIT = 24


def _checked(kind: str, limit: int, offset: int) -> Kind:
    try:
        services.check_page(limit, offset)
        return services.check_kind(kind)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


async def _discover(request: Request[Any, Any, Any], hidden: Any) -> dict[str, Any]:
    """What the page shows before a search, less what ``hidden`` keeps from the reader."""
    resources = request.app.state.resources
    found = await discover.sections(resources, hidden.ids)
    avatars = {
        c.id: str(await resources.storage.url(c.avatar_key)) for c in found.creators if c.avatar_key
    }
    return {"discover": found, "avatars": avatars}


class SearchPage(Controller):
    """Search as a page; htmx asks for the results alone while the visitor types."""

    path = "/search"
    tags = ["search"]
    include_in_schema = False

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        q: FromQuery[str] = "",
        type: FromQuery[str] = "all",
        offset: FromQuery[int] = 0,
    ) -> Template:
        """Results in sections (all) or one kind with further pages."""
        kind = _checked(type, PAGE_LIMIT, offset)
        viewer = request.scope.get("user")
        hidden = await hidden_from(viewer)
        results = await services.search(
            request.app.state.resources,
            q,
            kind,
            limit=PAGE_LIMIT,
            offset=offset,
            hidden=hidden,
            viewer=viewer,
        )
        context = {"user": viewer, "results": results, "next_offset": offset + PAGE_LIMIT}
        if not results.query.strip():
            context |= await _discover(request, hidden)
        # A reader's results may hold gated videos with images signed for them alone.
        headers = {"Cache-Control": "private, no-store"} if viewer is not None else None
        if request.headers.get("hx-request") == "true":
            name = "search/_more.html" if offset else "search/_results.html"
            return Template(template_name=name, context=context, headers=headers)
        return Template(template_name="search/page.html", context=context, headers=headers)


class VideoHitDocument(msgspec.Struct):
    """A video found; ``id`` is its public slug."""

    id: str
    caption: str
    hashtags: list[str]
    username: str
    display_name: str
    url: str
    poster_url: str


class PersonHitDocument(msgspec.Struct):
    """A member found."""

    username: str
    display_name: str
    bio: str
    url: str
    avatar_url: str


class TagHitDocument(msgspec.Struct):
    """A hashtag found and how many videos use it."""

    tag: str
    videos: int
    url: str


class SearchDocument(msgspec.Struct):
    """Results; ``terms`` are the words searched for (each also as a prefix), ``more``
    the kinds with a further page (ask again with ``offset`` + ``limit``)."""

    query: str
    terms: list[str]
    type: str
    videos: list[VideoHitDocument]
    people: list[PersonHitDocument]
    hashtags: list[TagHitDocument]
    more: list[str]


def document(results: Results) -> SearchDocument:
    """The API document of search results."""
    return SearchDocument(
        query=results.query,
        terms=list(results.terms.words),
        type=results.kind,
        videos=[
            VideoHitDocument(
                id=v.slug,
                caption=v.caption,
                hashtags=v.hashtags,
                username=v.username,
                display_name=v.display_name,
                url=f"/v/{v.slug}",
                poster_url=v.poster_jpeg_url,
            )
            for v in results.videos
        ],
        people=[
            PersonHitDocument(p.username, p.display_name, p.bio, f"/u/{p.username}", p.avatar_url)
            for p in results.people
        ],
        hashtags=[TagHitDocument(t.tag, t.videos, f"/tag/{t.tag}") for t in results.hashtags],
        more=sorted(results.more),
    )


class CreatorDocument(msgspec.Struct):
    """A creator to discover; ``new_followers`` counts the last ``days`` days."""

    username: str
    display_name: str
    url: str
    avatar_url: str
    new_followers: int


class PlaylistDocument(msgspec.Struct):
    """A playlist to discover and how many videos are out in it."""

    id: int
    title: str
    username: str
    videos: int
    url: str


class FeaturedDocument(msgspec.Struct):
    """A hashtag moderators feature, with its challenge description."""

    tag: str
    description: str
    url: str


class DiscoverDocument(msgspec.Struct):
    """What the search page shows before a search."""

    days: int
    featured: list[FeaturedDocument]
    hashtags: list[TagHitDocument]
    creators: list[CreatorDocument]
    playlists: list[PlaylistDocument]


class SearchApi(Controller):
    """Search for scripts and apps (no sign-in needed)."""

    path = "/api/search"
    tags = ["search"]

    @get("/")
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: FromQuery[str] = "",
        type: FromQuery[str] = "all",
        limit: FromQuery[int] = 20,
        offset: FromQuery[int] = 0,
    ) -> SearchDocument:
        """Ready public videos (caption, hashtags), active people (username, display name,
        bio) and hashtags. ``type``: all, videos, people or hashtags. Every word of ``q``
        counts as a prefix; quotes and operators are plain text."""
        kind = _checked(type, limit, offset)
        results = await services.search(
            request.app.state.resources,
            q,
            kind,
            limit=limit,
            offset=offset,
            hidden=await hidden_from(request.scope.get("user")),
        )
        return document(results)

    @get("/discover")
    async def discover(self, request: Request[Any, Any, Any]) -> DiscoverDocument:
        """The hashtags moderators feature, those most used by videos of the last days,
        creators whose followers
        grew most then (or who published last), and playlists changed last; measured
        every few minutes, less the members the caller blocks or mutes."""
        hidden = await hidden_from(request.scope.get("user"))
        shown = await _discover(request, hidden)
        found, avatars = shown["discover"], shown["avatars"]
        return DiscoverDocument(
            days=found.days,
            featured=[
                FeaturedDocument(tag, description, f"/tag/{tag}")
                for tag, description in found.featured
            ],
            hashtags=[TagHitDocument(tag, videos, f"/tag/{tag}") for tag, videos in found.hashtags],
            creators=[
                CreatorDocument(
                    c.username, c.display_name, f"/u/{c.username}", avatars.get(c.id, ""), c.gained
                )
                for c in found.creators
            ],
            playlists=[
                PlaylistDocument(p.id, p.title, p.username, p.videos, p.url)
                for p in found.playlists
            ],
        )
