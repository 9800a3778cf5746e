"""Choosing the interface language: ``POST /language`` from the language menu.

The choice is kept in the ``nv_lang`` cookie, and for a signed-in member also in
their account, so it follows them to other devices.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid import i18n
from nichevid.accounts.auth import current_user
from nichevid.accounts.tables import User
from nichevid.accounts.web import safe_next, text_field

ONE_YEAR = 365 * 24 * 3600


class LanguagePages(Controller):
    """The language switch."""

    path = "/language"
    tags = ["accounts"]
    include_in_schema = False

    @post("/")
    async def choose(self, request: Request[Any, Any, Any]) -> Redirect:
        """Set the language (form field ``language``), then go back to ``next``."""
        form = await request.form()
        try:
            code = i18n.check(text_field(form, "language"))
        except i18n.UnsupportedLanguage as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        user = current_user(request)
        if user is not None:
            await User.update({User.locale: code}).where(User.id == user.id)
        response = Redirect(safe_next(text_field(form, "next")), status_code=HTTP_303_SEE_OTHER)
        response.set_cookie(i18n.COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="lax")
        return response
