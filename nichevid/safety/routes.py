"""Safety pages: block and mute from a profile, the settings page, the feed's notices."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST

from nichevid.accounts.auth import current_user
from nichevid.accounts.guards import requires_login
from nichevid.accounts.web import text_field
from nichevid.i18n import gettext
from nichevid.safety import prefs, services
from nichevid.safety.errors import SafetyError
from nichevid.safety.settings import safety_settings
from nichevid.social.errors import SocialError
from nichevid.social.services import member as member_named


async def _member(username: str) -> Any:
    try:
        return await member_named(username)
    except SocialError as exc:
        raise HTTPException(status_code=exc.status, detail=exc.message) from exc


def _back(form: Any, fallback: str) -> Redirect:
    # Only a path of this site: never an open redirect.
    target = text_field(form, "next")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = fallback
    return Redirect(path=target, status_code=HTTP_303_SEE_OTHER)


class SafetyActions(Controller):
    """Block, mute and their undoing (forms), and the feed's notice settings (JSON)."""

    path = "/safety"
    include_in_schema = False

    @post("/{action:str}/{username:str}", guards=[requires_login])
    async def act(
        self, request: Request[Any, Any, Any], action: FromPath[str], username: FromPath[str]
    ) -> Redirect | Template:
        """``block``, ``unblock``, ``mute`` or ``unmute`` the member, then go back.

        From a menu (htmx) the answer is a line saying what was done, swapped in place.
        """
        do = {
            "block": services.block,
            "unblock": services.unblock,
            "mute": services.mute,
            "unmute": services.unmute,
        }.get(action)
        if do is None:
            raise HTTPException(
                status_code=404,
                detail=gettext("Use block, unblock, mute or unmute."),
            )
        target = await _member(username)
        try:
            await do(current_user(request), target)
        except SafetyError as exc:
            raise HTTPException(status_code=exc.status, detail=exc.message) from exc
        if request.headers.get("hx-request") == "true":
            return Template(
                "safety/_done.html", context={"action": action, "username": target.username}
            )
        return _back(await request.form(), f"/u/{target.username}")

    @get("/wellbeing")
    async def wellbeing(self, request: Request[Any, Any, Any]) -> Template:
        """When the feed shows its break and daily limit notices, and the notices themselves."""
        viewer = request.scope.get("user")
        notices = await services.notices_for(request.app.state.settings, viewer)
        return Template(
            "safety/_notices.html",
            context={"notices": notices},
            headers={"Cache-Control": "private, no-store"},
        )


class SafetySettingsPage(Controller):
    """Settings, Safety: comment controls, well-being, blocked and muted accounts."""

    path = "/settings/safety"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The form with the member's choices, and their lists."""
        user = current_user(request)
        return await _page(
            request, await services.prefs_of(user), saved=bool(request.query_params.get("saved"))
        )

    @post("/")
    async def save(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """Store the choices; a refused field keeps what was typed and says why."""
        user = current_user(request)
        form = await request.form()
        chosen_before = await services.prefs_of(user)
        keywords = text_field(form, "comment_keywords")
        try:
            chosen = services.Prefs(
                who_may_comment=text_field(form, "who_may_comment") or "everyone",
                comment_keywords=prefs.parse_keywords(keywords),
                hide_like_counts=text_field(form, "hide_like_counts") == "1",
                new_video_notices=text_field(form, "new_video_notices") == "1",
                quiet_notices=_quiet(form, chosen_before),
                email_digest=(
                    text_field(form, "email_digest") == "1"
                    if text_field(form, "notices_shown") == "1"
                    else chosen_before.email_digest
                ),
                break_minutes=_minutes(form, "break", gettext("The break reminder")),
                daily_limit_minutes=_minutes(form, "limit", gettext("The daily limit")),
                birth_date=prefs.parse_birth_date(text_field(form, "birth_date")),
            )
            await services.save_prefs(user, chosen)
        except SafetyError as exc:
            draft = {name: text_field(form, name) for name in _FIELDS}
            return await _page(
                request,
                await services.prefs_of(user),
                status=HTTP_400_BAD_REQUEST,
                error=exc.message,
                draft=draft,
            )
        return Redirect(path="/settings/safety?saved=1", status_code=HTTP_303_SEE_OTHER)


_FIELDS = (
    "who_may_comment",
    "comment_keywords",
    "hide_like_counts",
    "new_video_notices",
    *(f"notice_{kind}" for kind in prefs.QUIETABLE),
    "email_digest",
    "break_on",
    "break_minutes",
    "limit_on",
    "limit_minutes",
    "birth_date",
)


def _quiet(form: Any, before: services.Prefs) -> tuple[str, ...]:
    """The kinds left unticked; a form without the notification boxes keeps the choice."""
    if text_field(form, "notices_shown") != "1":
        return before.quiet_notices
    return tuple(kind for kind in prefs.QUIETABLE if text_field(form, f"notice_{kind}") != "1")


def _minutes(form: Any, name: str, what: str) -> int | None:
    # Unticked: off (0); ticked and empty: the site's default (None); else 1 to MINUTES_MAX.
    if text_field(form, f"{name}_on") != "1":
        return 0
    return prefs.parse_minutes(text_field(form, f"{name}_minutes"), what=what)


async def _page(
    request: Request[Any, Any, Any],
    chosen: services.Prefs,
    *,
    status: int = 200,
    error: str = "",
    draft: dict[str, str] | None = None,
    saved: bool = False,
) -> Template:
    user = current_user(request)
    draft = draft or {
        "who_may_comment": chosen.who_may_comment,
        "comment_keywords": "\n".join(chosen.comment_keywords),
        "hide_like_counts": "1" if chosen.hide_like_counts else "",
        "new_video_notices": "1" if chosen.new_video_notices else "",
        **{
            f"notice_{kind}": "" if kind in chosen.quiet_notices else "1"
            for kind in prefs.QUIETABLE
        },
        "email_digest": "1" if chosen.email_digest else "",
        "break_on": "" if chosen.break_minutes == 0 else "1",
        "break_minutes": str(chosen.break_minutes or ""),
        "limit_on": "" if chosen.daily_limit_minutes == 0 else "1",
        "limit_minutes": str(chosen.daily_limit_minutes or ""),
        "birth_date": chosen.birth_date.isoformat() if chosen.birth_date else "",
    }
    site = safety_settings(request.app.state.settings)
    return Template(
        "safety/settings.html",
        context={
            "user": user,
            "form": draft,
            "error": error,
            "saved": saved,
            "blocked": await services.blocked_list(user),
            "muted": await services.muted_list(user),
            "site_break": site.break_reminder_minutes,
            "site_limit": site.daily_limit_minutes,
            "keywords_max": prefs.KEYWORDS_MAX,
            "keyword_max_length": prefs.KEYWORD_MAX_LENGTH,
            "minutes_max": prefs.MINUTES_MAX,
            "adult_age": site.adult_age,
        },
        status_code=status,
    )
