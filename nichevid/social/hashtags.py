"""Hashtag pages: tag names and the challenge description moderators write for a tag."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from litestar.exceptions import NotFoundException

from nichevid.i18n import gettext
from nichevid.social.tables import Hashtag

DESCRIPTION_MAX = 2000
# Hashtags moderators may feature on the search page at once.
FEATURED_MAX = 8
# The hashtags captions carry (see ``media.services.parse_hashtags``): word characters.
_TAG = re.compile(r"^\w{1,64}$")


def tag_name(raw: str) -> str | None:
    """``raw`` as a stored hashtag (lower case, without ``#``), or ``None`` if it is none."""
    name = raw.strip().lstrip("#").lower()
    return name if _TAG.match(name) else None


async def description_of(name: str) -> str:
    """The description of ``#name`` (``""`` when none was written)."""
    row = await Hashtag.select(Hashtag.description).where(Hashtag.name == name).first()
    return str(row["description"]) if row else ""


async def set_description(name: str, description: str, editor: Any) -> str:
    """Write (or, with an empty text, clear) the description of ``#name``.

    Returns:
        The description as stored (surrounding blanks dropped).

    Raises:
        ValueError: When the text is longer than :data:`DESCRIPTION_MAX` characters.
    """
    text = description.replace("\r\n", "\n").strip()
    if len(text) > DESCRIPTION_MAX:
        raise ValueError(
            gettext(
                "The description is %(length)s characters long; shorten it to %(max)s or fewer.",
                length=len(text),
                max=DESCRIPTION_MAX,
            )
        )
    values: dict[Any, Any] = {
        Hashtag.description: text,
        Hashtag.updated_by: editor.id,
        Hashtag.updated_at: datetime.now(UTC),
    }
    if await Hashtag.exists().where(Hashtag.name == name):
        await Hashtag.update(values).where(Hashtag.name == name)
    else:
        await Hashtag.insert(
            Hashtag(name=name, description=text, updated_by=editor.id)
        ).on_conflict(target=Hashtag.name, action="DO UPDATE", values=list(values))
    return text


async def is_featured(name: str) -> bool:
    """Whether moderators feature ``#name`` on the search page."""
    return bool(
        await Hashtag.exists().where((Hashtag.name == name) & Hashtag.featured_at.is_not_null())
    )


async def set_featured(name: str, featured: bool, editor: Any) -> None:
    """Feature ``#name`` on the search page, or stop featuring it.

    Raises:
        ValueError: When :data:`FEATURED_MAX` hashtags are featured already.
    """
    if not featured:
        await Hashtag.update({Hashtag.featured_at: None}).where(Hashtag.name == name)
        return
    if await is_featured(name):
        return
    if await Hashtag.count().where(Hashtag.featured_at.is_not_null()) >= FEATURED_MAX:
        raise ValueError(
            gettext(
                "%(max)s hashtags are featured already, the most there can be: stop "
                "featuring one first.",
                max=FEATURED_MAX,
            )
        )
    now = datetime.now(UTC)
    if await Hashtag.exists().where(Hashtag.name == name):
        await Hashtag.update({Hashtag.featured_at: now}).where(Hashtag.name == name)
    else:
        await Hashtag.insert(Hashtag(name=name, featured_at=now, updated_by=editor.id)).on_conflict(
            target=Hashtag.name, action="DO UPDATE", values=[Hashtag.featured_at]
        )


async def featured() -> list[tuple[str, str]]:
    """The featured hashtags and their descriptions, the last featured first."""
    rows = (
        await Hashtag.select(Hashtag.name, Hashtag.description)
        .where(Hashtag.featured_at.is_not_null())
        .order_by(Hashtag.featured_at, ascending=False)
    )
    return [(str(row["name"]), str(row["description"] or "")) for row in rows]


def tag_or_not_found(raw: str) -> str:
    """The hashtag ``raw`` names (see :func:`tag_name`); a 404 saying what one is, else."""
    name = tag_name(raw)
    if name is None:
        raise NotFoundException(
            gettext("That is not a hashtag: hashtags are letters, digits and _ (up to 64).")
        )
    return name
