"""The privacy policy and community guidelines: operator-edited text, safe by construction.

Text is written in a tiny markdown subset: ``# `` / ``## `` headings, ``- `` list
items, blank lines between paragraphs, ``**bold**`` and ``[text](https://...)``
links. Everything is escaped first, so no HTML an editor types ever reaches a page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from nichevid.i18n import gettext
from nichevid.privacy.tables import PAGE_NAMES, SitePage

MAX_CHARS = 100_000
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+|/[^\s)]*)\)")


class PageError(Exception):
    """A page text that cannot be saved; the message says what to do."""


def titles() -> dict[str, str]:
    """The pages' titles, in the language of the request."""
    return {"privacy": gettext("Privacy policy"), "guidelines": gettext("Community guidelines")}


def default_text(name: str, site_name: str) -> str:
    """The text shipped with nichevid, until the operator writes their own."""
    if name == "privacy":
        return gettext(
            "# Privacy policy\n\n"
            "%(site)s keeps what you give it: your account, your videos and captions, "
            "your comments, likes, follows, bookmarks and shares, and which videos you "
            "watched and for how long, so the feed can learn what you like.\n\n"
            "## Your rights\n\n"
            "- **Export:** on your privacy settings page you can download a copy of "
            "everything we keep about you.\n"
            "- **Deletion:** you can delete your account there. After a grace period "
            "everything of yours is erased, files included.\n\n"
            "Anonymous visitors' viewing is only recorded with their consent when the "
            "operator asks for it.",
            site=site_name,
        )
    return gettext(
        "# Community guidelines\n\n"
        "%(site)s is for people who share a passion. Be kind, stay on topic, and post "
        "only what you made or may share.\n\n"
        "- No harassment, hate or threats.\n"
        "- No sexual content involving minors, ever.\n"
        "- No spam, scams or misleading content.\n\n"
        "Moderators may remove content or suspend accounts that break these rules.",
        site=site_name,
    )


async def page_text(name: str, site_name: str) -> str:
    """The current text of page ``name`` (the shipped default until edited)."""
    row = await SitePage.select(SitePage.body).where(SitePage.name == name).first().run()
    return row["body"] if row is not None else default_text(name, site_name)


async def save_page(name: str, body: str, editor: Any) -> None:
    """Store the operator's text for ``name``; an empty text restores the default.

    Raises:
        PageError: Unknown page, or a text that is too long.
    """
    if name not in PAGE_NAMES:
        raise PageError(gettext("There is no page called %(name)s.", name=repr(name)))
    body = body.replace("\r\n", "\n").strip()
    if len(body) > MAX_CHARS:
        raise PageError(
            gettext(
                "The text is %(size)s characters long; shorten it to %(limit)s at most.",
                size=len(body),
                limit=MAX_CHARS,
            )
        )
    if not body:
        await SitePage.delete().where(SitePage.name == name).run()
        return
    values = {"body": body, "updated_at": datetime.now(UTC), "updated_by": editor.id}
    await (
        SitePage.insert(SitePage(name=name, **values))
        .on_conflict(
            target=SitePage.name,
            action="DO UPDATE",
            values=[SitePage.body, SitePage.updated_at, SitePage.updated_by],
        )
        .run()
    )


def _inline(text: str) -> str:
    escaped = str(escape(text))
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _LINK.sub(r'<a href="\2" rel="nofollow noopener">\1</a>', escaped)


def render(text: str) -> Markup:
    """HTML of the markdown subset; every character of ``text`` is escaped first."""
    html: list[str] = []
    items: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            html.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            html.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            html.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            flush()
            html.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("- "):
            if para:
                flush()
            items.append(line[2:])
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return Markup("\n".join(html))  # noqa: S704 - built from escaped text only
