"""Consent for anonymous tracking, when the operator asks for it (``consent_banner``).

Until an anonymous viewer accepts, the watch events of their browser are dropped
unread and no viewer cookie is set, so nothing identifies or follows them. The
choice is kept in the ``nv_consent`` cookie (``accept`` or ``decline``) for a year;
the banner only shows while it is missing. Members are asked at sign-up by the
policy they accept, not by the banner.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import Cookie

from nichevid.privacy.settings import privacy_settings

CONSENT_COOKIE = "nv_consent"
CHOICES = ("accept", "decline")
CONSENT_DAYS = 365


def required(settings: Any) -> bool:
    """Whether the operator turned the consent banner on."""
    return privacy_settings(settings).consent_banner


def may_track(request: Any) -> bool:
    """Whether the watch events of ``request``'s viewer may be stored and a cookie set."""
    if request.scope.get("user") is not None:
        return True
    if not required(request.app.state.settings):
        return True
    return bool(request.cookies.get(CONSENT_COOKIE) == "accept")


def consent_cookie(request: Any, choice: str) -> Cookie:
    """The cookie remembering ``choice``; readable by the page so the banner stays away."""
    return Cookie(
        key=CONSENT_COOKIE,
        value=choice,
        max_age=CONSENT_DAYS * 86400,
        path="/",
        httponly=False,
        samesite="lax",
        secure=request.app.state.settings.public_url.startswith("https://"),
    )
