"""Members' pages: reporting an item, one's own reports, appealing a removal."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import login_required_error, requires_login
from nichevid_moderation import appeals, reports
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.settings import moderation_settings
from nichevid_moderation.targets import check_kind, find


def field(form: Any, name: str) -> str:
    """A text field of a submitted form ('' when missing or not text)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def page(
    request: Request[Any, Any, Any], template: str, *, status: int = 200, **context: Any
) -> Template:
    """A moderation template with the viewer in its context."""
    headers: dict[str, str] = {}
    error = context.get("error")
    if isinstance(error, ModerationError) and error.retry_after:
        headers["Retry-After"] = str(error.retry_after)
    return Template(
        template_name=template,
        context={"user": request.scope.get("user"), **context},
        status_code=status,
        headers=headers,
    )


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client address that tells visitors apart."""
    return request.client.host if request.client else "unknown"


def see_other(path: str) -> Redirect:
    """A 303 redirect (a form POST becomes a GET)."""
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


class ReportPages(Controller):
    """``/report/<kind>/<ref>``: the report form, open to visitors only if allowed."""

    path = "/report"
    include_in_schema = False

    def _allowed(self, request: Request[Any, Any, Any]) -> None:
        settings = request.app.state.resources.settings
        if (
            request.scope.get("user") is None
            and not moderation_settings(settings).anonymous_reports
        ):
            raise login_required_error(request)

    @get("/{kind:str}/{ref:str}")
    async def form(
        self, request: Request[Any, Any, Any], kind: FromPath[str], ref: FromPath[str]
    ) -> Template:
        """The form: a reason category and optional details."""
        self._allowed(request)
        try:
            target = await find(check_kind(kind), ref)
        except ModerationError as exc:
            raise HTTPException(status_code=exc.status, detail=exc.message) from exc
        return page(request, "moderation/report.html", target=target, ref=ref, **_form())

    @post("/{kind:str}/{ref:str}")
    async def send(
        self, request: Request[Any, Any, Any], kind: FromPath[str], ref: FromPath[str]
    ) -> Template:
        """Store the report (once per reporter and item) and thank the reporter."""
        self._allowed(request)
        form = await request.form()
        category, text = field(form, "category"), field(form, "text")
        try:
            report = await reports.file_report(
                request.app.state.resources,
                reporter=request.scope.get("user"),
                address=client_address(request),
                kind=kind,
                ref=ref,
                category=category,
                text=text,
            )
        except ModerationError as exc:
            if exc.status in (401, 404):
                raise HTTPException(status_code=exc.status, detail=exc.message) from exc
            target = await find(kind, ref)
            return page(
                request,
                "moderation/report.html",
                status=exc.status,
                target=target,
                ref=ref,
                error=exc,
                **_form(category, text),
            )
        return page(request, "moderation/reported.html", report=report)


def _form(category: str = "", text: str = "") -> dict[str, Any]:
    return {
        "categories": reports.categories(),
        "chosen": category,
        "text": text,
        "text_max": reports.TEXT_MAX,
    }


class MemberPages(Controller):
    """A member's own reports and appeals."""

    path = "/moderation/mine"
    guards = [requires_login]
    include_in_schema = False

    @get("/reports")
    async def my_reports(self, request: Request[Any, Any, Any]) -> Template:
        """What became of each report the member sent."""
        filed = await reports.reports_by(request.scope["user"])
        return page(
            request,
            "moderation/my_reports.html",
            filed=filed,
            categories=reports.categories(),
            outcomes=reports.outcomes(),
        )

    @get("/appeals")
    async def my_appeals(self, request: Request[Any, Any, Any]) -> Template:
        """Removals of the member's videos, with their appeals and decisions."""
        return await self._appeals_page(request)

    async def _appeals_page(
        self, request: Request[Any, Any, Any], *, status: int = 200, **context: Any
    ) -> Template:
        user = request.scope["user"]
        settings = request.app.state.resources.settings
        removals = await appeals.appealable(settings, user)
        filed = {a.removal: a for a in await appeals.appeals_of(user)}
        return page(
            request,
            "moderation/my_appeals.html",
            status=status,
            removals=removals,
            filed=filed,
            text_max=appeals.TEXT_MAX,
            **context,
        )

    @post("/appeals/{removal:int}")
    async def appeal(
        self, request: Request[Any, Any, Any], removal: FromPath[int]
    ) -> Template | Redirect:
        """Appeal one removal (once)."""
        form = await request.form()
        text = field(form, "text")
        try:
            await appeals.file_appeal(
                request.app.state.resources, request.scope["user"], removal, text
            )
        except ModerationError as exc:
            return await self._appeals_page(
                request, status=exc.status, error=exc, failed=removal, form_text=text
            )
        return see_other("/moderation/mine/appeals?sent=1")


def all_routes() -> tuple[Any, ...]:
    """Every controller of the plugin."""
    from nichevid_moderation.review_routes import ReviewPages
    from nichevid_moderation.stats_routes import StatsPage

    return (ReportPages, MemberPages, ReviewPages, StatsPage)
