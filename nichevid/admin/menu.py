"""What a plugin answers to the ``admin_menu`` slot: links to its operator pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import escape

from nichevid.accounts.services import has_role


def admin_links(context: dict[str, Any], links: Iterable[tuple[str, str, str]]) -> str | None:
    """One ``<a>`` per ``(role, href, text)`` whose role the page's user has (or outranks)."""
    user = context.get("user")
    if user is None:
        return None
    shown = [
        f'<a href="{escape(href)}">{escape(text)}</a>'
        for role, href, text in links
        if has_role(user, role)
    ]
    return "\n".join(shown) or None
