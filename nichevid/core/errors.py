"""Error responses: an HTML page for browsers, JSON for the API; unexpected errors are logged.

Details are in the language of the request. Messages written where an error is raised
are translated there; Litestar's own details (a route that does not exist, a method it
does not take, a failed validation of parameters) are replaced here by translated
sentences, while ``extra`` keeps the machine-readable list of what was wrong.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from nichevid import i18n
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


def no_video() -> str:
    """The answer for a video that does not exist or that the caller may not see."""
    return gettext("There is no video with this id, or it is not visible to you.")


def stock_detail(status: int, method: str = "") -> str:
    """A sentence for a status whose detail is only its English name: what to do next."""
    details = {
        401: gettext("Log in, or send Authorization: Bearer <token> with a personal API token."),
        403: gettext("You are not allowed to do that."),
        404: gettext("Nothing was found at this address; check the link or the API path."),
        405: gettext(
            "This address does not take %(method)s requests; see the API documentation.",
            method=method,
        ),
        413: gettext("The request is too large; send less at once."),
        415: gettext("That kind of content is not accepted here; check the Content-Type."),
        429: gettext("Too many requests; wait a little and try again."),
        503: gettext("This is temporarily unavailable; try again in a minute."),
    }
    return details.get(status) or title(status)


def _litestar_detail(detail: str) -> str | None:
    """A translated sentence for an English detail Litestar's own middleware writes."""
    if detail == "CSRF token verification failed":
        return gettext(
            "This request did not come from a page of this site, or the page is too old. "
            "Reload the page and try again; scripts send Authorization: Bearer <token>."
        )
    return None


def validation_detail(extra: Any) -> str:
    """The detail of a failed request validation, naming the parameters to correct."""
    keys = []
    if isinstance(extra, list):
        keys = [str(item["key"]) for item in extra if isinstance(item, dict) and item.get("key")]
    if keys:
        return gettext(
            "Some values of the request are missing or not valid: %(fields)s. "
            "Correct them and send the request again.",
            fields=", ".join(dict.fromkeys(keys)),
        )
    return gettext("The request is not valid; correct it and send it again.")


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


class ErrorPage(Template):
    """The error page, rendered in the request's language also where the language
    middleware did not run (the router refuses unknown addresses before it)."""

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        token = i18n.use(self.language)
        try:
            return super().to_asgi_response(*args, **kwargs)
        finally:
            i18n.reset(token)


def _respond(request: Request[Any, Any, Any], status: int, detail: str, headers: Any = None) -> Any:
    if wants_html(request):
        return ErrorPage(
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
            language=i18n.current(),
        )
    return Response(
        {"status_code": status, "detail": detail},
        status_code=status,
        headers=headers,
        media_type=MediaType.JSON,
    )


def _language(request: Request[Any, Any, Any]) -> str:
    """The request's language, also for errors raised before the language middleware ran
    (an unknown path or method is refused by the router, outside the middleware)."""
    chosen = request.scope.get(i18n.SCOPE_KEY)
    if isinstance(chosen, str):
        return chosen
    user = request.scope.get("user")
    return i18n.negotiate(
        user_language=str(getattr(user, "locale", "") or ""),
        cookie=request.cookies.get(i18n.COOKIE, ""),
        accept_language=request.headers.get("accept-language", ""),
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Any:
    """Expected errors (4xx and deliberate 5xx): shown as they are, not logged as failures."""
    code = _language(request)
    token = i18n.use(code)
    try:
        response = _http_error(request, exc)
    finally:
        i18n.reset(token)
    if isinstance(response, Response):
        # Errors of the middleware stack and the router are answered outside the language
        # middleware, which then cannot name the language.
        response.headers["Content-Language"] = code
    return response


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Any:
    extra = getattr(exc, "extra", None)
    if isinstance(exc, ValidationException):
        detail = validation_detail(extra)
    elif not exc.detail or _stock_phrase(exc.status_code, exc.detail):
        detail = stock_detail(exc.status_code, request.method)
        if wants_html(request):
            detail = title(exc.status_code)
    else:
        detail = _litestar_detail(exc.detail) or exc.detail
    response = _respond(request, exc.status_code, detail, exc.headers)
    if isinstance(response, Response) and isinstance(extra, dict | list) and extra:
        response.content = {"status_code": exc.status_code, "detail": detail, "extra": extra}
    return response


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Any:
    """A bug: logged with its traceback; the user gets a plain apology, never internals."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    token = i18n.use(_language(request))
    try:
        return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, title(500))
    finally:
        i18n.reset(token)


def error_handlers() -> dict[Any, Any]:
    """Exception handlers for the app."""
    return {HTTPException: http_error, Exception: unexpected_error}
