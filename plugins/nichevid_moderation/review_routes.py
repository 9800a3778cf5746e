"""Moderators' pages: the review queue, one case, the audit log and appeals to decide.

Every route here is guarded by role (moderator or admin); a regular member gets 403.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from nichevid.accounts.guards import requires_role
from nichevid.captions.services import captions_of
from nichevid.media.review import review_url
from nichevid.media.services import renditions_of
from nichevid.playlists.reading import summary
from nichevid_moderation import actions, appeals, audit, queue, reports
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.routes import field, page, see_other
from nichevid_moderation.settings import moderation_settings
from nichevid_moderation.targets import Target, find


def _http(exc: ModerationError) -> HTTPException:
    return HTTPException(status_code=exc.status, detail=exc.message)


async def _preview(resources: Any, target: Target) -> dict[str, Any]:
    """Signed URLs of a video's smallest rendition, poster and caption tracks; a
    playlist's page."""
    if target.kind == "playlist":
        listed = await summary(target.id)
        return {"url": listed.url if listed else ""}
    if target.kind != "video":
        return {}
    video = target.row
    found = [r for r in await renditions_of(video) if r.kind == "mp4"]
    found.sort(key=lambda r: min(r.width, r.height))
    tracks = [
        {
            "language": c.language,
            "label": c.label or c.language,
            "url": await review_url(resources, c.storage_key),
        }
        for c in await captions_of(video)
    ]
    return {
        "src": await review_url(resources, found[0].storage_key) if found else "",
        "poster": await review_url(resources, video.poster_key) if video.poster_key else "",
        "tracks": tracks,
    }


class ReviewPages(Controller):
    """``/moderation``: the queue and the decisions."""

    path = "/moderation"
    guards = [requires_role("moderator")]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        """Open cases, most urgent first."""
        return page(
            request,
            "moderation/queue.html",
            cases=await queue.cases(),
            categories=reports.categories(),
        )

    @get("/case/{kind:str}/{ref:str}")
    async def case(
        self, request: Request[Any, Any, Any], kind: FromPath[str], ref: FromPath[str]
    ) -> Template:
        """One item: a preview, its reports, its earlier actions and its creator's history."""
        return await self._case_page(request, kind, ref)

    async def _case_page(
        self,
        request: Request[Any, Any, Any],
        kind: str,
        ref: str,
        *,
        status: int = 200,
        **context: Any,
    ) -> Template:
        resources = request.app.state.resources
        try:
            target = await find(kind, ref, any_state=True)
        except ModerationError as exc:
            raise _http(exc) from exc
        user = request.scope["user"]
        return page(
            request,
            "moderation/case.html",
            status=status,
            target=target,
            open_reports=await reports.open_reports(target.kind, target.id),
            earlier=await audit.lines(target_kind=target.kind, target_id=target.id),
            history=await queue.history(resources.settings, target.owner_id),
            preview=await _preview(resources, target),
            allowed=actions.ACTIONS[target.kind],
            labels=actions.labels(),
            categories=reports.categories(),
            own=target.owner_id == user.id,
            max_days=moderation_settings(resources.settings).max_suspension_days,
            **context,
        )

    @post("/case/{kind:str}/{ref:str}")
    async def decide(
        self, request: Request[Any, Any, Any], kind: FromPath[str], ref: FromPath[str]
    ) -> Template | Redirect:
        """Apply one action to the item and log it."""
        form = await request.form()
        raw_days = field(form, "days").strip()
        days = int(raw_days) if raw_days.isdigit() and len(raw_days) < 6 else None
        try:
            entry = await actions.act(
                request.app.state.resources,
                request.scope["user"],
                kind=kind,
                ref=ref,
                action=field(form, "action"),
                reason=field(form, "reason"),
                days=days,
            )
        except ModerationError as exc:
            if exc.status == 404:
                raise _http(exc) from exc
            return await self._case_page(
                request, kind, ref, status=exc.status, error=exc, form_reason=field(form, "reason")
            )
        return see_other(f"/moderation/case/{entry.target_kind}/{entry.target_id}?done={entry.id}")

    @get("/audit")
    async def audit_log(self, request: Request[Any, Any, Any]) -> Template:
        """Every moderation step, newest first, 100 a page."""
        raw = request.query_params.get("before", "")
        before = int(raw) if raw.isdigit() and len(raw) < 12 else None
        entries = await audit.lines(before=before)
        return page(
            request,
            "moderation/audit.html",
            entries=entries,
            labels=actions.labels(),
            next_before=entries[-1].id if len(entries) == 100 else None,
        )

    @get("/appeals")
    async def open_appeals(self, request: Request[Any, Any, Any]) -> Template:
        """Appeals waiting for a decision."""
        return await self._appeals_page(request)

    async def _appeals_page(
        self, request: Request[Any, Any, Any], *, status: int = 200, **context: Any
    ) -> Template:
        waiting = await appeals.open_appeals()
        removals = {a.removal: await audit.get_entry(a.removal) for a in waiting}
        return page(
            request,
            "moderation/appeals.html",
            status=status,
            waiting=waiting,
            removals=removals,
            **context,
        )

    @post("/appeals/{appeal_id:int}")
    async def decide_appeal(
        self, request: Request[Any, Any, Any], appeal_id: FromPath[int]
    ) -> Template | Redirect:
        """Uphold (restore the video) or reject an appeal, with a statement of reasons."""
        form = await request.form()
        try:
            await appeals.decide(
                request.app.state.resources,
                request.scope["user"],
                appeal_id,
                field(form, "outcome"),
                field(form, "statement"),
            )
        except ModerationError as exc:
            if exc.status == 404:
                raise _http(exc) from exc
            return await self._appeals_page(request, status=exc.status, error=exc, failed=appeal_id)
        return see_other("/moderation/appeals?decided=1")
