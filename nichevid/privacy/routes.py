"""Pages: the member's privacy settings (export, deletion), the policy pages, their editor."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from nichevid.accounts.guards import requires_login, requires_role
from nichevid.accounts.web import page, resources_of, safe_next, see_other, text_field
from nichevid.i18n import gettext
from nichevid.privacy import consent, deletion, exports, sitepages
from nichevid.privacy.tables import PAGE_NAMES


async def _context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    user = request.scope["user"]
    return {
        "export": await exports.export_state(user),
        "download": await exports.download_link(resources_of(request), user),
        "deletion": await deletion.deletion_state(user),
        "busy": await deletion.busy_videos(user.id),
    }


class PrivacySettingsPages(Controller):
    """``/settings/privacy``: a copy of one's data, and deleting one's account."""

    path = "/settings/privacy"
    tags = ["privacy"]
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        """The page; ``?export=running`` says an export was already on its way."""
        notice = request.query_params.get("notice", "")
        return page(request, "privacy/settings.html", notice=notice, **await _context(request))

    @get("/export/status")
    async def export_status(self, request: Request[Any, Any, Any]) -> Template:
        """The export panel alone (htmx polls it while a job runs)."""
        return page(request, "privacy/_export.html", **await _context(request))

    @post("/export")
    async def ask_export(self, request: Request[Any, Any, Any]) -> Redirect:
        """Queue an export, or say that one is already on its way."""
        started = await exports.request_export(resources_of(request), request.scope["user"])
        return see_other(f"/settings/privacy?notice={'queued' if started else 'running'}")

    @get("/export/download")
    async def download(self, request: Request[Any, Any, Any]) -> Stream:
        """The zip, to its owner only, while the signed link is valid."""
        resources = resources_of(request)
        try:
            key, size = await exports.open_download(
                resources,
                request.scope.get("user"),
                request.query_params.get("exp"),
                request.query_params.get("sig"),
            )
        except exports.ExportLinkError as exc:
            raise HTTPException(status_code=exc.status, detail=exc.message) from None
        name = f"{request.scope['user'].username}-data.zip"
        return Stream(
            resources.storage.open(key),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Content-Length": str(size),
                "Cache-Control": "private, no-store",
            },
        )

    @post("/delete")
    async def ask_deletion(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Mark the account for deletion after the password is confirmed."""
        form = await request.form()
        try:
            await deletion.request_deletion(
                resources_of(request), request.scope["user"], text_field(form, "password")
            )
        except deletion.DeletionError as exc:
            return page(
                request,
                "privacy/settings.html",
                status=HTTP_400_BAD_REQUEST,
                error=exc.message,
                field=exc.field,
                **await _context(request),
            )
        return see_other("/settings/privacy?notice=marked")

    @post("/delete/cancel")
    async def cancel_deletion(self, request: Request[Any, Any, Any]) -> Redirect:
        """Keep the account: remove the mark."""
        await deletion.cancel_deletion(request.scope["user"])
        return see_other("/settings/privacy?notice=kept")


class PolicyPages(Controller):
    """``/privacy`` and ``/guidelines``, open to everybody."""

    path = "/"
    tags = ["privacy"]
    include_in_schema = False

    @get("/privacy")
    async def privacy(self, request: Request[Any, Any, Any]) -> Template:
        """The privacy policy."""
        return await self._show(request, "privacy")

    @get("/guidelines")
    async def guidelines(self, request: Request[Any, Any, Any]) -> Template:
        """The community guidelines."""
        return await self._show(request, "guidelines")

    async def _show(self, request: Request[Any, Any, Any], name: str) -> Template:
        site = resources_of(request).settings.site_name
        text = await sitepages.page_text(name, site)
        return page(
            request,
            "privacy/page.html",
            title=sitepages.titles()[name],
            body=sitepages.render(text),
        )


class ConsentChoice(Controller):
    """``POST /privacy/consent``: an anonymous viewer accepts or declines tracking."""

    path = "/privacy/consent"
    tags = ["privacy"]
    include_in_schema = False

    @post("/")
    async def choose(self, request: Request[Any, Any, Any]) -> Redirect:
        """Remember the choice in a cookie and go back to the page."""
        form = await request.form()
        choice = text_field(form, "choice")
        if choice not in consent.CHOICES:
            raise HTTPException(
                status_code=HTTP_400_BAD_REQUEST,
                detail=gettext("Choose accept or decline."),
            )
        redirect = see_other(safe_next(text_field(form, "next"), "/"))
        redirect.cookies.append(consent.consent_cookie(request, choice))
        return redirect


class PolicyEditor(Controller):
    """``/admin/pages/<name>``: admins edit the policy pages."""

    path = "/admin/pages"
    tags = ["privacy"]
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/{name:str}")
    async def edit(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Template:
        """The editor of one page."""
        _known(name)
        site = resources_of(request).settings.site_name
        return self._editor(
            request, name, await sitepages.page_text(name, site), request.query_params.get("saved")
        )

    @post("/{name:str}")
    async def save(
        self, request: Request[Any, Any, Any], name: FromPath[str]
    ) -> Template | Redirect:
        """Save the text (an empty text restores the default)."""
        _known(name)
        form = await request.form()
        body = text_field(form, "body")
        try:
            await sitepages.save_page(name, body, request.scope["user"])
        except sitepages.PageError as exc:
            return self._editor(request, name, body, None, error=str(exc), status=400)
        return see_other(f"/admin/pages/{name}?saved=1")

    def _editor(
        self,
        request: Request[Any, Any, Any],
        name: str,
        body: str,
        saved: str | None,
        *,
        error: str = "",
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "privacy/edit.html",
            status=status,
            name=name,
            title=sitepages.titles()[name],
            body=body,
            saved=saved == "1",
            error=error,
            preview=sitepages.render(body),
        )


def _known(name: str) -> None:
    if name not in PAGE_NAMES:
        raise NotFoundException(
            gettext(
                "There is no page called %(name)s; edit privacy or guidelines.",
                name=repr(name)[:60],
            )
        )


__all__ = ["ConsentChoice", "PolicyEditor", "PolicyPages", "PrivacySettingsPages"]
