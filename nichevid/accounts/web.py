"""Helpers shared by the accounts pages: rendering, form fields, limits, redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_429_TOO_MANY_REQUESTS

from nichevid.core.ratelimit import Verdict
from nichevid.i18n import gettext


def resources_of(request: Request[Any, Any, Any]) -> Any:
    """The running app's :class:`nichevid.runtime.Resources`."""
    return request.app.state.resources


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """Render ``template`` with the signed-in ``user`` in its context."""
    return Template(
        template_name=template,
        context={"user": request.scope.get("user"), **context},
        status_code=status,
        headers=headers,
    )


def text_field(form: Any, name: str) -> str:
    """A text field of a submitted form (``""`` when missing or when a file was sent)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def file_field(form: Any, name: str) -> UploadFile | None:
    """An uploaded file of a multipart form, or ``None`` when none was chosen."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client address (already resolved from trusted proxy headers by the server)."""
    return request.client.host if request.client else "unknown"


def too_many(
    request: Request[Any, Any, Any], template: str, verdict: Verdict, **context: Any
) -> Template:
    """The form again, with a 429 status, a clear message and ``Retry-After``."""
    minutes, seconds = divmod(verdict.retry_after, 60)
    wait = (
        gettext("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=seconds)
        if minutes
        else gettext("%(seconds)s s", seconds=seconds)
    )
    return page(
        request,
        template,
        status=HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(verdict.retry_after)},
        error=gettext("Too many attempts. Please wait %(wait)s and try again.", wait=wait),
        **context,
    )


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 32 or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def see_other(path: str) -> Redirect:
    """A 303 redirect, so a form POST becomes a GET."""
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)
