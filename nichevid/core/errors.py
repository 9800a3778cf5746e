"""Error responses: an HTML page for browsers, JSON for the API; unexpected errors are logged."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("nichevid.errors")

TITLES = {
    400: "That request could not be understood",
    401: "Please log in",
    403: "You are not allowed to do that",
    404: "Nothing here",
    405: "Not allowed here",
    413: "That is too large",
    415: "That kind of file is not accepted",
    429: "Slow down a little",
    500: "Something went wrong on our side",
    503: "Temporarily unavailable",
}


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
                "title": TITLES.get(status, "Error"),
                "detail": detail,
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
    detail = exc.detail or TITLES.get(exc.status_code, "Error")
    response = _respond(request, exc.status_code, detail, exc.headers)
    extra = getattr(exc, "extra", None)
    if isinstance(response, Response) and isinstance(extra, dict | list) and extra:
        response.content = {"status_code": exc.status_code, "detail": detail, "extra": extra}
    return response


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Any:
    """A bug: logged with its traceback; the user gets a plain apology, never internals."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, TITLES[500])


def error_handlers() -> dict[Any, Any]:
    """Exception handlers for the app."""
    return {HTTPException: http_error, Exception: unexpected_error}
