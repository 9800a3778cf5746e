"""Error responses: an HTML page for browsers, JSON for the API; unexpected errors are logged."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from nichevid.i18n import gettext

log = logging.getLogger("nichevid.errors")


def title(status: int) -> str:
    """The title of an error ``status``, in the language of the request."""
    titles = {
        400: gettext("That request could not be understood"),
        401: gettext("Please log in"),
        403: gettext("You are not allowed to do that"),
        404: gettext("Nothing here"),
        405: gettext("Not allowed here"),
        410: gettext("That link has expired"),
        413: gettext("That is too large"),
        415: gettext("That kind of file is not accepted"),
        429: gettext("Slow down a little"),
        500: gettext("Something went wrong on our side"),
        503: gettext("Temporarily unavailable"),
    }
    return titles.get(status) or gettext("Error")


def _stock_phrase(status: int, detail: str) -> bool:
    """Whether ``detail`` is only the English name of the status (Litestar's default)."""
    try:
        return detail == HTTPStatus(status).phrase
    except ValueError:
        return False


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """Whether the client is a browser asking for a page (not the API, not htmx)."""
    if request.url.path.startswith("/api/") or request.headers.get("hx-request"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _respond(request: Request[Any, Any, Any], status: int, detail: str, headers: Any = None) -> Any:
    if wants_html(request):
        return Template(
            template_name="error.html",
            context={
                "status_code": status,
                "title": title(status),
                # A page says more than the status's English name; other details come
                # from the code that refused, translated where they were written.
                "detail": title(status) if _stock_phrase(status, detail) else detail,
            },
            status_code=status,
            headers=headers,
            media_type=MediaType.HTML,
        )
    return Response(
        {"status_code": status, "detail": detail},
        status_code=status,
        headers=headers,
        media_type=MediaType.JSON,
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Any:
    """Expected errors (4xx and deliberate 5xx): shown as they are, not logged as failures."""
    detail = exc.detail or title(exc.status_code)
    response = _respond(request, exc.status_code, detail, exc.headers)
    extra = getattr(exc, "extra", None)
    if isinstance(response, Response) and isinstance(extra, dict | list) and extra:
        response.content = {"status_code": exc.status_code, "detail": detail, "extra": extra}
    return response


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Any:
    """A bug: logged with its traceback; the user gets a plain apology, never internals."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, title(500))


def error_handlers() -> dict[Any, Any]:
    """Exception handlers for the app."""
    return {HTTPException: http_error, Exception: unexpected_error}
