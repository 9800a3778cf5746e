"""The moderation plugin's answers to the core gates and the For You filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.comments.tables import Comment
from nichevid.i18n import gettext
from nichevid.media.gates import is_adult
from nichevid_moderation import audit, premod
from nichevid_moderation.restrictions import active_restrictions, suspended_until
from nichevid_moderation.settings import moderation_settings
from nichevid_moderation.tables import Report


async def comment_refusal(user: Any, text: str, settings: Any) -> str | None:
    """Why ``user`` may not post ``text`` now (suspension, word rules, new-account limit)."""
    until = await suspended_until(int(user.id))
    if until is not None:
        return gettext(
            "Your account is suspended until %(until)s; you can comment again after that.",
            until=until.strftime("%Y-%m-%d %H:%M UTC"),
        )
    config = moderation_settings(settings)
    refusal = premod.comment_refusal(config, text)
    if refusal:
        return refusal
    limit = config.new_account_comments_per_hour
    if limit and premod.is_new(config, user):
        since = datetime.now(UTC) - timedelta(hours=1)
        recent = await Comment.count().where(
            (Comment.author == user.id) & (Comment.created_at > since)
        )
        if recent >= limit:
            return gettext(
                "New accounts can post %(num)s comments an hour; please wait a while.", num=limit
            )
    return None


async def upload_refusal(user: Any) -> str | None:
    """Why ``user`` may not start an upload now: a suspension, with its end."""
    until = await suspended_until(int(user.id))
    if until is None:
        return None
    return gettext(
        "Your account is suspended until %(until)s; you can upload again after that.",
        until=until.strftime("%Y-%m-%d %H:%M UTC"),
    )


async def video_hold(video: Any, resources: Any) -> str | None:
    """Why ``video`` waits for a moderator, or ``None``; every hold goes in the audit log."""
    settings = resources.settings
    config = moderation_settings(settings)
    reason: str | None = None
    if await suspended_until(int(video.owner)) is not None:
        reason = "the creator is suspended"
    if reason is None:
        reason = await premod.hold_reason(config, video)
    if reason is None and config.blocked_hashes and video.source_key:
        from nichevid.media.tools import MediaError
        from nichevid_moderation import phash

        try:
            reason = await phash.hold_reason(resources, config, video)
        except (MediaError, OSError) as exc:
            # Unchecked is not the same as clean: a moderator looks at it.
            reason = f"the keyframes could not be checked ({exc})"
    if reason is not None:
        await audit.record(
            settings,
            actor_id=None,
            action="hold",
            target_kind="video",
            target_id=int(video.id),
            subject_id=int(video.owner),
            reason=reason,
        )
        return reason
    flagged = premod.matching(config, video.caption or "", "captions")
    if flagged:
        await _flag(video, settings)
    return None


async def _flag(video: Any, settings: Any) -> None:
    """Open a case for a caption that matched a ``flag`` rule, published all the same."""
    await (
        Report.insert(
            Report(
                reporter=None,
                reporter_key="system",
                target_kind="video",
                target_id=int(video.id),
                owner=int(video.owner),
                category="other",
                text="caption matches a word rule",
            )
        )
        .on_conflict(action="DO NOTHING")
        .run()
    )
    await audit.record(
        settings,
        actor_id=None,
        action="flag",
        target_kind="video",
        target_id=int(video.id),
        subject_id=int(video.owner),
        reason="caption matches a word rule",
    )


async def kept_out(video_ids: list[int], viewer: Any, resources: Any) -> list[int]:
    """Limited-reach videos for everybody; age-restricted ones for all but adults.

    One query for the measures; the viewer's age is read only when an age-restricted
    video is among ``video_ids`` (rarely), so a member's batch pays nothing for it.
    """
    found = await active_restrictions("video", list(video_ids), ("limit_reach", "age_restrict"))
    if any(kinds == {"age_restrict"} for kinds in found.values()) and await is_adult(
        resources, viewer
    ):
        found = {video: kinds for video, kinds in found.items() if "limit_reach" in kinds}
    return [video_id for video_id in video_ids if video_id in found]
