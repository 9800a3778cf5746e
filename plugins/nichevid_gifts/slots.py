"""What the gifts plugin puts into page slots, and what it reads for them in advance."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid.admin.menu import admin_links
from nichevid.i18n import gettext

TOP_KEY = "nichevid_gifts.top"
GIFT_ICON = (
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M20 7h-2.2A3 3 0 0 0 12 3.8 3 3 0 0 0 '
    "6.2 7H4a1 1 0 0 0-1 1v3h18V8a1 1 0 0 0-1-1zM9 7a1 1 0 1 1 1-1v1H9zm5 0V6a1 1 0 1 1 1 1h-1zM4 "
    '13v7a1 1 0 0 0 1 1h6v-8H4zm9 8h6a1 1 0 0 0 1-1v-7h-7v8z"/></svg>'
)


async def prepare_profile(request: Any, member: Any) -> None:
    """The member's top gifters, when they chose to show them."""
    from nichevid_gifts import fans
    from nichevid_gifts.settings import gift_settings

    if not await fans.shows_top_gifters(member.id):
        return
    limit = gift_settings(request.app.state.resources.settings).top_gifters
    request.scope.setdefault(TOP_KEY, {})[member.id] = await fans.top_gifters(member.id, limit)


def _button(href: str, label: str) -> str:
    text = escape(label)
    return (
        f'<a class="nv-action nv-action--gift" href="{href}" hx-get="{href}" '
        f'hx-target="#nv-gift-sheet" aria-haspopup="dialog" aria-label="{text}" '
        f'title="{text}" rel="nofollow">{GIFT_ICON}</a>'
    )


def render(slot: str, context: dict[str, Any]) -> str | None:
    """The HTML of ``slot`` for this page, or ``None``."""
    request = context.get("request")
    if request is None:
        return None
    if slot == "video_actions" and context.get("video") is not None:
        # The same for every viewer, so it suits shared card batches.
        slug = escape(context["video"].slug)
        return _button(f"/gifts/to/v/{slug}", gettext("Send a gift"))
    if slot == "profile_header" and context.get("member"):
        member, user = context["member"], context.get("user")
        name = member["username"] if isinstance(member, dict) else member.username
        if user is not None and user.username == name:
            return None
        return _button(f"/gifts/to/u/{escape(name)}", gettext("Send a gift"))
    if slot == "profile_content" and context.get("member"):
        return _top_list(request, context["member"])
    if slot == "head":
        return (
            '<link rel="stylesheet" href="/static/plugins/gifts/gifts.css">'
            '<script src="/static/plugins/gifts/gifts.js" defer></script>'
        )
    if slot == "body_end":
        label = escape(gettext("Send a gift"))
        return (
            f'<div id="nv-gift-sheet" class="nv-gift-sheet" role="dialog" aria-label="{label}" '
            "hidden></div>"
        )
    if slot in ("settings_menu", "wallet"):
        return _links(request, slot)
    if slot == "admin_menu":
        return admin_links(context, [("admin", "/admin/gifts", gettext("Gifts (operator)"))])
    return None


def _top_list(request: Any, member: Any) -> str | None:
    member_id = member["id"] if isinstance(member, dict) else member.id
    top = request.scope.get(TOP_KEY, {}).get(member_id)
    if top is None:
        return None
    env = request.app.template_engine.engine
    return str(env.get_template("gifts/_top.html").render(top=top))


def _links(request: Any, slot: str) -> str | None:
    user = request.scope.get("user")
    if user is None:
        return None
    path = request.scope["path"].rstrip("/")
    if slot == "wallet":
        text = escape(gettext("Buy coins, see the gifts you sent and received"))
        return f'<p class="nv-gift-wallet-link"><a href="/gifts">{text}</a></p>'
    links = [("/gifts", gettext("Coins and gifts"))]
    current = ' aria-current="page"'
    return "\n".join(
        f'<a href="{href}"{current if path == href else ""}>{escape(text)}</a>'
        for href, text in links
    )
