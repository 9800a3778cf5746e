"""The product chip on feed cards, the list under a video, and the menu links.

Cards are rendered once and shared by every viewer, so the chip shows nothing about
the viewer: the links of a whole page of cards are read in ``prepare_cards`` with one
query and kept in ``request.scope``.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from nichevid.admin.menu import admin_links
from nichevid.i18n import gettext
from nichevid_affiliates import links
from nichevid_affiliates.settings import affiliate_settings

KEY = "nichevid_affiliates.links"
REL = "sponsored nofollow noopener"
STYLESHEET = "/static/plugins/affiliates/affiliates.css"
BAG_ICON = (
    '<svg viewBox="0 0 24 24" aria-hidden="true" width="18" height="18"><path fill="currentColor" '
    'd="M7 7V6a5 5 0 0 1 10 0v1h3l-1 14H5L4 7h3zm2 0h6V6a3 3 0 0 0-6 0v1z"/></svg>'
)


async def prepare_cards(request: Any, cards: list[Any]) -> None:
    """Read the links of every card on the page in one query."""
    ids = [int(card.id) for card in cards]
    request.scope.setdefault(KEY, {}).update(await links.shown_for(ids))


def _disclosure(request: Any) -> str:
    custom = affiliate_settings(request.app.state.settings).disclosure
    return custom or gettext(
        "Paid links: the creator may earn a commission when you buy through them, at no "
        "extra cost to you."
    )


def _anchor(link: links.ShownLink, css: str, inner: str) -> str:
    return (
        f'<a class="{css}" href="/go/{link.id}" rel="{REL}" target="_blank" '
        f'data-aff-link="{link.id}">{inner}</a>'
    )


def chip(request: Any, video: Any) -> str | None:
    """The chip of a card: its first product, marked as an affiliate link."""
    shown = request.scope.get(KEY, {}).get(int(video.id))
    if not shown:
        return None
    first = shown[0]
    badge = escape(gettext("Affiliate link"))
    inner = (
        f'{BAG_ICON}<span class="nv-aff-label">{escape(first.label)}</span>'
        f'<span class="nv-aff-badge">{badge}</span>'
    )
    more = ""
    if len(shown) > 1:
        text = escape(gettext("%(count)s more products", count=len(shown) - 1))
        more = f'<a class="nv-aff-more" href="/v/{escape(video.slug)}#affiliate-links">{text}</a>'
    return f'<div class="nv-aff-chip">{_anchor(first, "nv-aff-chip-link", inner)}{more}</div>'


def listing(request: Any, video: Any) -> str | None:
    """The list of products under a video on its own page."""
    shown = request.scope.get(KEY, {}).get(int(video.id))
    if not shown:
        return None
    title = escape(gettext("Products in this video"))
    badge = escape(gettext("Affiliate link"))
    items = "".join(
        f"<li>{_anchor(link, 'nv-aff-item', escape(link.label))} "
        f'<span class="nv-aff-badge">{badge}</span> '
        f'<span class="nv-aff-domain">{escape(link.domain)}</span></li>'
        for link in shown
    )
    return (
        '<section class="nv-aff-links" id="affiliate-links" aria-labelledby="nv-aff-title">'
        f'<h2 id="nv-aff-title">{title}</h2>'
        f'<p class="nv-aff-disclosure">{escape(_disclosure(request))}</p>'
        f"<ul>{items}</ul></section>"
    )


def render(slot: str, context: dict[str, Any]) -> str | None:
    """The HTML of ``slot`` for this page, or ``None``."""
    request = context.get("request")
    if request is None:
        return None
    video = context.get("video")
    if slot == "head":
        return f'<link rel="stylesheet" href="{STYLESHEET}">'
    if slot == "video_overlay" and video is not None:
        return chip(request, video)
    if slot == "video_page" and video is not None:
        return listing(request, video)
    if slot == "settings_menu" and context.get("user") is not None:
        path = request.scope["path"].rstrip("/")
        current = ' aria-current="page"' if path == "/affiliates/mine" else ""
        text = escape(gettext("Affiliate links"))
        return f'<a href="/affiliates/mine"{current}>{text}</a>'
    if slot == "admin_menu":
        return admin_links(
            context, [("admin", "/admin/affiliates", gettext("Affiliate links (operator)"))]
        )
    return None
