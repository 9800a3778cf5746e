"""Safety services: plain async functions the pages, the API and other packages call.

The rules are told in :mod:`nichevid.safety.blocks` (block and mute),
:mod:`nichevid.safety.prefs` (comment controls) and :mod:`nichevid.safety.wellbeing`.
"""

from __future__ import annotations

from typing import Any

from nichevid.i18n import gettext
from nichevid.safety import blocks, prefs, wellbeing
from nichevid.safety.blocks import (
    NOTHING_HIDDEN,
    Hidden,
    block,
    blocked_between,
    blocked_list,
    hidden_from,
    may_message,
    mute,
    muted_list,
    unblock,
    unmute,
    videos_hidden_from,
)
from nichevid.safety.blocks import blocks as is_blocking
from nichevid.safety.blocks import mutes as is_muting
from nichevid.safety.errors import SafetyError
from nichevid.safety.prefs import Prefs, likes_hidden, prefs_of, save_prefs
from nichevid.safety.wellbeing import Notices, notices_for

__all__ = [
    "NOTHING_HIDDEN",
    "Hidden",
    "Notices",
    "Prefs",
    "SafetyError",
    "block",
    "blocked_between",
    "blocked_list",
    "check_comment",
    "comment_closed",
    "delete_member",
    "hidden_from",
    "is_blocking",
    "is_muting",
    "likes_hidden",
    "may_message",
    "mute",
    "muted_list",
    "notices_for",
    "prefs_of",
    "save_prefs",
    "unblock",
    "unmute",
    "videos_hidden_from",
]


def _id(row: Any) -> int:
    return int(row if isinstance(row, int) else row.id)


async def comment_closed(author: Any, owner: Any) -> SafetyError | None:
    """Why ``author`` (``None`` when signed out) may not comment on ``owner``'s videos.

    ``None`` when they may (the words of the comment are checked on posting); the
    comments panel shows the message in place of its form.
    """
    if author is not None and _id(author) == _id(owner):
        return None
    if author is not None and await blocked_between(author, owner):
        return SafetyError(403, gettext("You cannot comment on this member's videos."))
    chosen = await prefs_of(owner)
    if chosen.who_may_comment == "nobody":
        return SafetyError(403, gettext("The creator turned comments off for their videos."))
    if chosen.who_may_comment == "followers":
        from nichevid.social.services import is_following

        if author is None or not await is_following(author, owner):
            return SafetyError(
                403,
                gettext("Only followers of the creator may comment; follow them to comment."),
            )
    return None


async def check_comment(author: Any, owner: Any, text: str) -> None:
    """Refuse a comment of ``author`` on a video of ``owner`` that the owner does not accept.

    Raises:
        SafetyError: 403 across a block, when the owner takes comments from nobody or
            only from followers and ``author`` is not one; 400 when the text holds a
            word the owner refuses (the message names it, so the author can reword).
    """
    closed = await comment_closed(author, owner)
    if closed is not None:
        raise closed
    if _id(author) == _id(owner):
        return
    word = prefs.refused_word(text, (await prefs_of(owner)).comment_keywords)
    if word is not None:
        raise SafetyError(
            400,
            gettext(
                "The creator does not accept comments containing “%(word)s”; reword your comment.",
                word=word,
            ),
        )


async def delete_member(member: Any) -> None:
    """Remove every safety row of ``member``: blocks and mutes either way, choices, time.

    Account deletion calls this; nothing of the member is left in the safety tables.
    """
    await blocks.delete_member(member)
    await prefs.delete_member(member)
    await wellbeing.delete_member(member)


def _plain(choices: dict[str, Any]) -> dict[str, Any]:
    born = choices.get("birth_date")
    return {**choices, "birth_date": born.isoformat() if born is not None else None}


async def export_member(member: Any) -> dict[str, Any]:
    """What the safety tables hold of ``member``, for their data export.

    Who they block and mute, their comment controls and well-being choices, and the
    daily watch time the notices count; never who blocks or mutes them.
    """
    from dataclasses import asdict

    from nichevid.safety.tables import ScreenTime

    days = (
        await ScreenTime.select(ScreenTime.day, ScreenTime.watched_ms)
        .where(ScreenTime.member == member.id)
        .order_by(ScreenTime.day)
    )
    return {
        "blocked": [asdict(listed) for listed in await blocks.blocked_list(member)],
        "muted": [asdict(listed) for listed in await blocks.muted_list(member)],
        "choices": _plain(asdict(await prefs_of(member))),
        "watch_time_per_day": [{"day": d["day"], "watched_ms": d["watched_ms"]} for d in days],
    }
