"""The link in each digest mail that turns these mails off, without signing in.

``GET`` shows what the button does (mail scanners that open links change nothing);
the form's ``POST`` turns the mails off. Mail apps send that ``POST`` themselves, with
no cookie, when a member uses their own unsubscribe button (``List-Unsubscribe-Post``,
RFC 8058), so it needs no CSRF token: the token in the link is the member's proof.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from nichevid.accounts.tables import User
from nichevid.i18n import gettext
from nichevid.social import digest


async def _member(request: Request[Any, Any, Any], user_id: int, token: str) -> User:
    user = await User.objects().where(User.id == user_id).first()
    if user is None or not digest.check_off_token(request.app.state.settings, user_id, token):
        raise NotFoundException(
            gettext("This link is not valid; turn the mails off in your safety settings.")
        )
    return user


class DigestLinks(Controller):
    """``/notifications/digest-off/<member>/<token>``."""

    path = "/notifications/digest-off"
    include_in_schema = False

    @get("/{user_id:int}/{token:str}")
    async def ask(
        self, request: Request[Any, Any, Any], user_id: FromPath[int], token: FromPath[str]
    ) -> Template:
        """What the button does."""
        user = await _member(request, user_id, token)
        return Template("social/digest_off.html", context={"member": user, "done": False})

    @post("/{user_id:int}/{token:str}", status_code=200, exclude_from_csrf=True)
    async def turn_off(
        self, request: Request[Any, Any, Any], user_id: FromPath[int], token: FromPath[str]
    ) -> Template:
        """Turn the mails off."""
        user = await _member(request, user_id, token)
        await digest.turn_off(int(user.id))
        return Template("social/digest_off.html", context={"member": user, "done": True})
