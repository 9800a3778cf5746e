"""Moderators' decisions on an item: each one changes the item, closes its open reports,
tells the people concerned and appends one audit entry.

Rules:

* Only moderators and admins act, and never on their own content or account.
* ``remove`` needs a reason: it is shown to the creator, who may appeal once.
* ``suspend`` lasts 1..``max_suspension_days`` days; ``ban`` disables the account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.accounts.services import get_user_by_id, has_role, set_active
from nichevid.comments.services import CommentError, delete_comment
from nichevid.i18n import gettext
from nichevid.media.gates import set_age_restricted
from nichevid.media.review import ReviewError, set_review_status
from nichevid.playlists.tables import Playlist
from nichevid.social.services import notify
from nichevid_moderation import audit
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.restrictions import restrict
from nichevid_moderation.settings import moderation_settings
from nichevid_moderation.tables import Report
from nichevid_moderation.targets import Target, find

# What a moderator may do to each kind of item.
ACTIONS: dict[str, tuple[str, ...]] = {
    "video": ("approve", "remove", "age_restrict", "limit_reach", "warn", "suspend", "ban"),
    "comment": ("approve", "remove", "warn", "suspend", "ban"),
    "playlist": ("approve", "remove", "warn", "suspend", "ban"),
    "account": ("approve", "warn", "suspend", "ban"),
}
# Measures that stand on a video until lifted.
VIDEO_MEASURES = ("age_restrict", "limit_reach")
REASON_MAX = 2000
NOTICE = "moderation"


def labels() -> dict[str, str]:
    """Action names as moderators read them."""
    return {
        "approve": gettext("Approve"),
        "remove": gettext("Remove"),
        "age_restrict": gettext("Age-restrict"),
        "limit_reach": gettext("Limit reach"),
        "warn": gettext("Warn"),
        "suspend": gettext("Suspend"),
        "ban": gettext("Ban"),
        "restore": gettext("Restore"),
        "release": gettext("Release"),
        "hold": gettext("Hold"),
        "appeal": gettext("Appeal"),
        "appeal_upheld": gettext("Appeal upheld"),
        "appeal_rejected": gettext("Appeal rejected"),
        "flag": gettext("Flag"),
    }


def _now() -> datetime:
    return datetime.now(UTC)


def check_moderator(user: Any) -> None:
    """Raises ModerationError 403 unless ``user`` is a moderator or admin."""
    if not has_role(user, "moderator"):
        raise ModerationError(403, gettext("This needs the moderator role."))


def check_not_own(moderator: Any, owner_id: int | None) -> None:
    """Raises ModerationError 403 when ``moderator`` owns the item."""
    if owner_id is not None and owner_id == moderator.id:
        raise ModerationError(
            403,
            gettext("You cannot decide on your own content; leave it to another moderator."),
        )


async def act(
    resources: Any,
    moderator: Any,
    *,
    kind: str,
    ref: str,
    action: str,
    reason: str = "",
    days: int | None = None,
) -> Any:
    """Apply ``action`` to the item ``kind``/``ref`` and record it.

    Args:
        resources: The running app's resources.
        moderator: The moderator or admin deciding.
        kind: ``video``, ``comment``, ``playlist`` or ``account``.
        ref: The item's id (videos: slug or id; accounts: username or id).
        action: One of ``ACTIONS[kind]``.
        reason: Why; required for ``remove``, ``warn``, ``suspend`` and ``ban``.
        days: Length of a suspension.

    Returns:
        The audit entry.

    Raises:
        ModerationError: 403 for non-moderators and their own content, 404 for an
            unknown item, 400 for an action or reason that does not fit. Nothing
            changes then.
    """
    check_moderator(moderator)
    target = await find(kind, ref, any_state=True)
    check_not_own(moderator, target.owner_id)
    if action not in ACTIONS[target.kind]:
        raise ModerationError(
            400,
            gettext(
                "Choose one of these actions: %(actions)s.",
                actions=", ".join(ACTIONS[target.kind]),
            ),
        )
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ModerationError(
            400, gettext("The reason can be at most %(num)s characters.", num=REASON_MAX)
        )
    if not reason and action in ("remove", "warn", "suspend", "ban"):
        raise ModerationError(
            400, gettext("Write the reason: the author is shown it and may appeal.")
        )
    until = _suspension_end(resources, days) if action == "suspend" else None
    open_reports = await Report.objects().where(
        (Report.target_kind == target.kind)
        & (Report.target_id == target.id)
        & (Report.status == "open")
    )
    category = _top_category([r.category for r in open_reports])
    await _apply(resources, moderator, target, action, until)
    entry = await audit.record(
        resources.settings,
        actor_id=moderator.id,
        action=action,
        target_kind=target.kind,
        target_id=target.id,
        subject_id=target.owner_id,
        reason=reason,
        category=category,
        until=until,
    )
    await close_reports(target.kind, target.id, action)
    await _tell_owner(target, action, reason, until)
    return entry


def _suspension_end(resources: Any, days: int | None) -> datetime:
    longest = moderation_settings(resources.settings).max_suspension_days
    if days is None or not 1 <= days <= longest:
        raise ModerationError(
            400,
            gettext("A suspension lasts 1 to %(num)s days; give the number of days.", num=longest),
        )
    return _now() + timedelta(days=days)


def _top_category(found: list[str]) -> str:
    from nichevid_moderation.settings import CATEGORY_WEIGHTS

    return max(found, key=lambda c: CATEGORY_WEIGHTS.get(c, 0.0), default="")


async def _apply(
    resources: Any, moderator: Any, target: Target, action: str, until: datetime | None
) -> None:
    if action == "approve":
        if target.kind == "video" and target.row.status == "held":
            await _video_status(resources, target, "ready")
        return
    if action == "remove":
        if target.kind == "video":
            await _video_status(resources, target, "removed")
        elif target.kind == "playlist":
            # Its videos stay; each is reported and decided on its own.
            await Playlist.delete().where(Playlist.id == target.id)
        else:
            try:
                await delete_comment(moderator, target.id)
            except CommentError as exc:
                raise ModerationError(exc.status, exc.message) from exc
        return
    if action in VIDEO_MEASURES:
        await restrict(action, "video", target.id, None)
        if action == "age_restrict":
            # The core flag gates the video everywhere: media, pages, listings, embeds.
            await set_age_restricted(target.id, True)
        return
    if action == "suspend":
        await restrict("suspend", "account", int(target.owner_id or 0), until)
    if action == "ban":
        owner = await get_user_by_id(int(target.owner_id or 0))
        if owner is None:
            raise ModerationError(404, gettext("The account does not exist any more."))
        if has_role(owner, "moderator"):
            raise ModerationError(
                403, gettext("Moderators and admins cannot be banned; an admin changes roles.")
            )
        await set_active(owner, False)
        await restrict("ban", "account", int(owner.id), None)


async def _video_status(resources: Any, target: Target, status: str) -> None:
    try:
        await set_review_status(resources.pm, target.row, status)
    except ReviewError as exc:
        raise ModerationError(400, str(exc)) from exc


async def close_reports(kind: str, target_id: int, outcome: str) -> int:
    """Close the open reports of an item with ``outcome``; returns how many."""
    rows = (
        await Report.update(
            {
                # Nothing was done to an item approved, or deleted by its author (gone).
                Report.status: "dismissed" if outcome in ("approve", "gone") else "actioned",
                Report.outcome: outcome,
                Report.decided_at: _now(),
            }
        )
        .where(
            (Report.target_kind == kind)
            & (Report.target_id == target_id)
            & (Report.status == "open")
        )
        .returning(Report.id)
    )
    return len(rows)


async def _tell_owner(target: Target, action: str, reason: str, until: datetime | None) -> None:
    if action == "approve" or target.owner_id is None:
        return
    when = until.strftime("%Y-%m-%d %H:%M UTC") if until else ""
    sentences = {
        ("remove", "video"): gettext("A moderator removed your video. Reason: %(reason)s"),
        ("remove", "comment"): gettext("A moderator removed your comment. Reason: %(reason)s"),
        ("remove", "playlist"): gettext(
            "A moderator deleted your playlist “%(title)s” (its videos stay). Reason: %(reason)s"
        ),
        ("age_restrict", "video"): gettext("A moderator age-restricted your video. %(reason)s"),
        ("limit_reach", "video"): gettext(
            "A moderator kept your video out of recommendations. %(reason)s"
        ),
        ("warn", "video"): gettext("A moderator warned you about your video: %(reason)s"),
        ("warn", "comment"): gettext("A moderator warned you about your comment: %(reason)s"),
        ("warn", "playlist"): gettext(
            "A moderator warned you about your playlist “%(title)s”: %(reason)s"
        ),
        ("warn", "account"): gettext("A moderator warned you: %(reason)s"),
    }
    if action == "suspend":
        text = gettext(
            "Your account is suspended until %(until)s. Reason: %(reason)s",
            until=when,
            reason=reason,
        )
    elif action == "ban":
        text = gettext("Your account was banned. Reason: %(reason)s", reason=reason)
    else:
        text = sentences[(action, target.kind)] % {"reason": reason, "title": target.label}
    video = target.id if target.kind == "video" else None
    await notify(target.owner_id, NOTICE, None, video=video, text=text.strip())
