"""Appeals: a creator contests a removal once; another moderator decides and says why.

Rules:

* Only the creator whose content was removed appeals, once per removal.
* The moderator who removed it, and the creator, cannot decide the appeal.
* Upheld: the video is restored and its standing measures lifted. Rejected: it stays
  removed. Either way the creator gets the statement of reasons (a notification and
  their appeals page), and the audit log records the decision.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.i18n import gettext
from nichevid.media.gates import set_age_restricted
from nichevid.media.review import ReviewError, set_review_status
from nichevid.social.services import notify
from nichevid_moderation import audit
from nichevid_moderation.actions import NOTICE, VIDEO_MEASURES, check_moderator
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.restrictions import lift
from nichevid_moderation.tables import Appeal, AuditEntry

TEXT_MAX = 2000
OUTCOMES = ("upheld", "rejected")


def _now() -> datetime:
    return datetime.now(UTC)


async def appealable(settings: Any, user: Any) -> list[AuditEntry]:
    """Removals of ``user``'s videos, newest first (appealed or not)."""
    return await (
        AuditEntry.objects()
        .where(
            (AuditEntry.action == "remove")
            & (AuditEntry.target_kind == "video")
            & (AuditEntry.subject == audit.pseudonym(settings, user.id))
        )
        .order_by(AuditEntry.id, ascending=False)
    )


async def file_appeal(resources: Any, user: Any, removal_id: int, text: str) -> Appeal:
    """Appeal the removal ``removal_id`` (an audit entry id).

    Raises:
        ModerationError: 404 when it is not a removal of ``user``'s video, 400 for
            empty or long text, 409 when it was appealed already.
    """
    settings = resources.settings
    entry = await audit.get_entry(removal_id)
    mine = audit.pseudonym(settings, user.id)
    if entry is None or entry.action != "remove" or entry.subject != mine:
        raise ModerationError(404, gettext("There is no removal of your content with this number."))
    if entry.target_kind != "video":
        raise ModerationError(400, gettext("Only removed videos can be appealed."))
    text = text.strip()
    if not text:
        raise ModerationError(400, gettext("Say why the removal was wrong; the text is empty."))
    if len(text) > TEXT_MAX:
        raise ModerationError(
            400, gettext("An appeal can be at most %(num)s characters; shorten it.", num=TEXT_MAX)
        )
    if await Appeal.exists().where(Appeal.removal == removal_id):
        raise ModerationError(
            409, gettext("You already appealed this removal; each can be appealed once.")
        )
    appeal = Appeal(
        removal=removal_id,
        appellant=user.id,
        target_kind=entry.target_kind,
        target_id=entry.target_id,
        text=text,
    )
    try:
        await appeal.save()
    except Exception as exc:
        if isinstance(exc, sqlite3.IntegrityError) or "Unique" in type(exc).__name__:
            raise ModerationError(
                409, gettext("You already appealed this removal; each can be appealed once.")
            ) from exc
        raise
    await audit.record(
        settings,
        actor_id=user.id,
        action="appeal",
        target_kind=entry.target_kind,
        target_id=int(entry.target_id),
        subject_id=user.id,
        reason=text,
        refers_to=removal_id,
    )
    return appeal


async def decide(
    resources: Any, moderator: Any, appeal_id: int, outcome: str, statement: str
) -> Appeal:
    """Decide an open appeal: ``upheld`` restores the video, ``rejected`` keeps it removed.

    Raises:
        ModerationError: 403 for non-moderators, the appellant and the moderator who
            removed the video; 404 for an unknown appeal; 409 for a decided one; 400
            for an unknown outcome or an empty statement.
    """
    check_moderator(moderator)
    settings = resources.settings
    appeal = await Appeal.objects().where(Appeal.id == appeal_id).first()
    if appeal is None:
        raise ModerationError(404, gettext("There is no appeal with this number."))
    if appeal.status != "open":
        raise ModerationError(409, gettext("This appeal was decided already."))
    removal = await audit.get_entry(int(appeal.removal))
    me = audit.pseudonym(settings, moderator.id)
    if appeal.appellant == moderator.id:
        raise ModerationError(403, gettext("You cannot decide your own appeal."))
    if removal is not None and removal.actor == me:
        raise ModerationError(
            403, gettext("You removed this video; another moderator must decide the appeal.")
        )
    if outcome not in OUTCOMES:
        raise ModerationError(400, gettext("Decide the appeal: uphold it or reject it."))
    statement = statement.strip()
    if not statement:
        raise ModerationError(
            400, gettext("Write the statement of reasons; the creator is shown it.")
        )
    if outcome == "upheld":
        try:
            await set_review_status(resources.pm, int(appeal.target_id), "ready")
        except ReviewError as exc:
            raise ModerationError(400, str(exc)) from exc
        for kind in VIDEO_MEASURES:
            await lift(kind, "video", int(appeal.target_id))
        await set_age_restricted(int(appeal.target_id), False)
    changed = (
        await Appeal.update(
            {
                Appeal.status: outcome,
                Appeal.statement: statement[:TEXT_MAX],
                Appeal.decided_by: me,
                Appeal.decided_at: _now(),
            }
        )
        .where((Appeal.id == appeal.id) & (Appeal.status == "open"))
        .returning(Appeal.id)
    )
    if not changed:
        raise ModerationError(409, gettext("This appeal was decided already."))
    await audit.record(
        settings,
        actor_id=moderator.id,
        action=f"appeal_{outcome}",
        target_kind=appeal.target_kind,
        target_id=int(appeal.target_id),
        subject_id=int(appeal.appellant),
        reason=statement,
        refers_to=int(appeal.removal),
    )
    text = (
        gettext("Your appeal was upheld and your video is back. %(statement)s", statement=statement)
        if outcome == "upheld"
        else gettext("Your appeal was rejected. %(statement)s", statement=statement)
    )
    await notify(int(appeal.appellant), NOTICE, None, video=int(appeal.target_id), text=text)
    decided = await Appeal.objects().where(Appeal.id == appeal.id).first()
    assert decided is not None  # an appeal goes only with its appellant's account
    return decided


@dataclass(frozen=True)
class AppealView:
    """An appeal as pages show it."""

    id: int
    removal: int
    target_id: int
    text: str
    status: str
    statement: str
    created_at: datetime
    decided_at: datetime | None
    appellant: str


async def _views(rows: list[Appeal]) -> list[AppealView]:
    from nichevid.accounts.services import get_user_by_id

    out = []
    for row in rows:
        user = await get_user_by_id(int(row.appellant))
        out.append(
            AppealView(
                id=int(row.id),
                removal=int(row.removal),
                target_id=int(row.target_id),
                text=row.text,
                status=row.status,
                statement=row.statement,
                created_at=row.created_at,
                decided_at=row.decided_at,
                appellant=user.username if user else "",
            )
        )
    return out


async def appeals_of(user: Any) -> list[AppealView]:
    """``user``'s appeals, newest first."""
    rows = (
        await Appeal.objects()
        .where(Appeal.appellant == user.id)
        .order_by(Appeal.id, ascending=False)
    )
    return await _views(rows)


async def open_appeals(limit: int = 100) -> list[AppealView]:
    """Appeals waiting for a decision, oldest first."""
    rows = await Appeal.objects().where(Appeal.status == "open").order_by(Appeal.id).limit(limit)
    return await _views(rows)
