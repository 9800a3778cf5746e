"""Pre-moderation: holding videos before they go live, word rules, limits for new accounts.

Held videos appear in the review queue; a moderator approves (publishes) or removes
them. Every hold is recorded in the audit log by ``system``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid_moderation.settings import ModerationSettings, WordRule


def matching(config: ModerationSettings, text: str, where: str) -> list[WordRule]:
    """The word rules for ``where`` (``captions`` or ``comments``) that ``text`` matches."""
    return [
        rule
        for rule in config.words
        if rule.applies_to in (where, "both") and rule.compiled().search(text)
    ]


async def hold_reason(config: ModerationSettings, video: Any) -> str | None:
    """Why ``video`` must wait for a moderator, or ``None`` to publish it."""
    if config.hold == "all":
        return "every video is reviewed first"
    if config.hold == "first":
        published = await Video.count().where(
            (Video.owner == video.owner)
            & Video.status.is_in(["ready", "removed"])
            & (Video.id != video.id)
        )
        if published < config.hold_first:
            return f"one of the creator's first {config.hold_first} videos"
    rules = matching(config, video.caption or "", "captions")
    if any(rule.action in ("block", "hold") for rule in rules):
        return "the caption matches a word rule"
    return None


def comment_refusal(config: ModerationSettings, text: str) -> str | None:
    """The reason a comment is refused by a ``block`` or ``hold`` rule, or ``None``."""
    rules = matching(config, text, "comments")
    if any(rule.action in ("block", "hold") for rule in rules):
        return gettext("Your comment contains words this community does not allow; rephrase it.")
    return None


def is_new(config: ModerationSettings, user: Any) -> bool:
    """Whether ``user``'s account is younger than ``new_account_hours``."""
    created = user.created_at
    if created is None:
        return False
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return datetime.now(UTC) - created < timedelta(hours=config.new_account_hours)
