"""Hashtag pages: tag names and the challenge description moderators write for a tag."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from litestar.exceptions import NotFoundException

from nichevid.i18n import gettext
from nichevid.social.tables import Hashtag

DESCRIPTION_MAX = 2000
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


def tag_or_not_found(raw: str) -> str:
    """The hashtag ``raw`` names (see :func:`tag_name`); a 404 saying what one is, else."""
    name = tag_name(raw)
    if name is None:
        raise NotFoundException(
            gettext("That is not a hashtag: hashtags are letters, digits and _ (up to 64).")
        )
    return name
