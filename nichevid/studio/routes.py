"""The creator's studio: ``/studio`` (all videos), ``/studio/v/{slug}`` (one), CSV and JSON.

Every page and answer is the signed-in creator's own: another member's video is
"not among yours" (404) whether or not it exists. ``?days=`` picks the period (7, 30
or 90 days); anything else is refused with the choices, the pages then showing the
default period beside the message.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST

from nichevid.accounts.guards import requires_role
from nichevid.core.charts import curve, hbars, stacked_bars
from nichevid.core.csvfile import csv_response
from nichevid.i18n import compact, gettext
from nichevid.media.tables import Video
from nichevid.media.upload_page import visibility_labels
from nichevid.social import pins
from nichevid.social.errors import SocialError
from nichevid.studio import figures
from nichevid.studio.figures import DEFAULT_DAYS, PERIODS, TENTHS, Figures, VideoLine

# Videos per page of the studio's list.
PER_PAGE = 50
CSV_COLUMNS = (
    "video", "caption", "status", "visibility", "published_at", "views", "watch_hours",
    "average_watch_s", "share_watched", "completion_rate", "skip_rate", "likes", "comments",
    "shares",
)  # fmt: skip


class StudioError(ValueError):
    """A query parameter nobody offered; the message says what is."""


@dataclass(frozen=True)
class Query:
    days: int
    page: int


def parse(params: Any, *, paged: bool = False) -> Query:
    """``?days=`` (and ``?page=`` where the list is paged), or :class:`StudioError`."""
    try:
        days = figures.period_of(params.get("days"))
    except ValueError as exc:
        raise StudioError(str(exc)) from exc
    page = params.get("page") or "1"
    if paged and (not page.isdigit() or not 1 <= int(page) <= 1_000_000):
        raise StudioError(gettext("Pages are numbered from 1: ask for ?page=1 or later."))
    return Query(days, int(page) if paged else 1)


def source_label(feed: str) -> str:
    """What a feed name means to a creator."""
    labels = {
        "foryou": gettext("For You"),
        "following": gettext("Following"),
        "hashtag": gettext("Hashtag pages"),
        "profile": gettext("Your profile"),
        "search": gettext("Search"),
        "video": gettext("Video page and shared links"),
        "sponsored": gettext("Promoted"),
    }
    return labels.get(feed, feed)


def status_labels() -> dict[str, str]:
    """What each video status means to its creator."""
    return {
        "uploading": gettext("Uploading"),
        "processing": gettext("Processing"),
        "held": gettext("Waiting for the moderators"),
        "scheduled": gettext("Scheduled"),
        "ready": gettext("Published"),
        "failed": gettext("Failed"),
        "removed": gettext("Removed"),
    }


async def own_video(request: Request[Any, Any, Any], slug: str) -> dict[str, Any]:
    """The signed-in creator's video ``slug`` (also a removed one), else 404."""
    user = request.scope.get("user")
    rows = (
        await Video.select(
            Video.id,
            Video.slug,
            Video.caption,
            Video.status,
            Video.visibility,
            Video.age_restricted,
            Video.owner,
            Video.pinned_at,
        ).where(Video.slug == slug)
        if 0 < len(slug) <= 16 and user is not None
        else []
    )
    if not rows or rows[0]["owner"] != user.id:
        raise NotFoundException(gettext("No such video among yours."))
    return rows[0]


def _charts(found: Figures) -> dict[str, Any]:
    views = gettext("Views")
    shown = {
        "daily": stacked_bars(
            [(day, {"views": n}) for day, n in found.daily],
            [("views", views)],
            gettext("Views per day"),
            compact,
        ),
        "sources": hbars(
            {source_label(feed): n for feed, n in found.sources.items()},
            gettext("Where views come from"),
        ),
    }
    if found.retention:
        shown["retention"] = curve(
            [(f"{i * 100 // TENTHS} %", share) for i, share in enumerate(found.retention)],
            gettext("Share of views still watching"),
        )
    return shown


async def _page_of_lines(owner: int, query: Query) -> tuple[list[VideoLine], int, int]:
    """The videos of page ``query.page``, how many videos there are, and how many pages."""
    first = (query.page - 1) * PER_PAGE
    lines, total = await figures.video_lines(owner, query.days, first=first, count=PER_PAGE)
    return lines, total, max(math.ceil(total / PER_PAGE), 1)


def _query_or_default(request: Request[Any, Any, Any], paged: bool) -> tuple[Query, str]:
    try:
        return parse(request.query_params, paged=paged), ""
    except StudioError as exc:
        return Query(DEFAULT_DAYS, 1), str(exc)


async def _video_page(
    request: Request[Any, Any, Any], slug: str, *, error: str = "", status: int = 200
) -> Template:
    """One video's figures, with its retention curve and whether it is pinned."""
    video = await own_video(request, slug)
    query, period_error = _query_or_default(request, paged=False)
    if period_error:
        error, status = period_error, HTTP_400_BAD_REQUEST
    user = request.scope["user"]
    found = await figures.figures(user.id, query.days, video=video["id"])
    context = {
        "user": user,
        "video": video,
        "figures": found,
        "charts": _charts(found),
        "periods": PERIODS,
        "label": source_label,
        "error": error,
        "pinnable": video["status"] == "ready"
        and video["visibility"] == "public"
        and not video["age_restricted"],
        "pinned_notice": request.query_params.get("pinned", ""),
        "pin_max": pins.PIN_MAX,
    }
    return Template("studio/video.html", context=context, status_code=status)


class StudioPages(Controller):
    """``/studio``: the creator's figures, their videos, one video, and a CSV of them."""

    path = "/studio"
    guards = [requires_role("creator")]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        """Totals, views per day, sources and the videos of the period."""
        query, error = _query_or_default(request, paged=True)
        user = request.scope["user"]
        found, (lines, total, pages) = await asyncio.gather(
            figures.figures(user.id, query.days), _page_of_lines(user.id, query)
        )
        context = {
            "user": user,
            "figures": found,
            "charts": _charts(found),
            "lines": lines,
            "total": total,
            "page": query.page,
            "pages": pages,
            "periods": PERIODS,
            "label": source_label,
            "statuses": status_labels(),
            "visibilities": visibility_labels(),
            "error": error,
        }
        return Template("studio/overview.html", context=context, status_code=400 if error else 200)

    @get("/v/{slug:str}")
    async def video(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """One video's figures, with its retention curve."""
        return await _video_page(request, slug)

    @post("/v/{slug:str}/pin")
    async def pin(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Any:
        """Pin the video to the top of the profile (``pinned=1``), or unpin it."""
        form = await request.form()
        wanted = form.get("pinned") == "1"
        try:
            video = await pins.own_video(slug, request.scope["user"])
            await pins.set_pinned(video, wanted)
        except SocialError as exc:
            return await _video_page(request, slug, error=exc.message, status=exc.status)
        return Redirect(
            f"/studio/v/{video.slug}?pinned={int(wanted)}", status_code=HTTP_303_SEE_OTHER
        )

    @get("/export.csv")
    async def export(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Every video's figures of the period, one line each."""
        try:
            query = parse(request.query_params)
        except StudioError as exc:
            return Response({"detail": str(exc)}, status_code=HTTP_400_BAD_REQUEST)
        lines, _ = await figures.video_lines(request.scope["user"].id, query.days)
        rows: list[list[Any]] = [list(CSV_COLUMNS)]
        for line in lines:
            doc = {**line.as_json(), "watch_hours": round(line.watching.watched_ms / 3_600_000, 2)}
            doc["video"] = doc.pop("id")
            rows.append(["" if doc[key] is None else doc[key] for key in CSV_COLUMNS])
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        return csv_response(rows, f"studio-{query.days}d-{stamp}.csv")


def _api_query(request: Request[Any, Any, Any], paged: bool) -> Query:
    try:
        return parse(request.query_params, paged=paged)
    except StudioError as exc:
        raise HTTPException(status_code=HTTP_400_BAD_REQUEST, detail=str(exc)) from exc


class StudioApi(Controller):
    """The studio's figures as JSON, for a creator's own tools (personal API tokens work)."""

    path = "/api/studio"
    guards = [requires_role("creator")]
    tags = ["studio"]

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """The creator's figures of ``?days=`` and a page (``?page=``) of their videos."""
        query = _api_query(request, paged=True)
        user = request.scope["user"]
        found, (lines, total, pages) = await asyncio.gather(
            figures.figures(user.id, query.days), _page_of_lines(user.id, query)
        )
        return {
            **found.as_json(),
            "videos": [line.as_json() for line in lines],
            "video_count": total,
            "page": query.page,
            "pages": pages,
        }

    @get("/videos/{slug:str}")
    async def video(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        """One of the creator's videos: its figures of ``?days=`` with retention."""
        video = await own_video(request, slug)
        query = _api_query(request, paged=False)
        found = await figures.figures(request.scope["user"].id, query.days, video=video["id"])
        return {"id": video["slug"], **found.as_json()}
