"""A member's moderation data: exported on request, removed with the account.

``export_for`` and ``delete_for`` are plain services so the core's data export and
account deletion can call them. Audit entries stay (the law and appeals need the
record) but name people only by pseudonym; once the :class:`Actor` row goes, no
entry can be traced back to the account.
"""

from __future__ import annotations

from typing import Any

from nichevid_moderation.tables import Actor, Appeal, AuditEntry, Report, Restriction


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def export_for(user_id: int) -> dict[str, Any]:
    """Everything the moderation plugin holds about ``user_id``, as plain data."""
    filed = await Report.objects().where(Report.reporter == user_id).order_by(Report.id)
    appeals = await Appeal.objects().where(Appeal.appellant == user_id).order_by(Appeal.id)
    actor = await Actor.objects().where(Actor.user == user_id).first()
    decisions: list[AuditEntry] = []
    if actor is not None:
        decisions = await (
            AuditEntry.objects()
            .where((AuditEntry.subject == actor.pseudonym) | (AuditEntry.actor == actor.pseudonym))
            .order_by(AuditEntry.id)
        )
    restrictions = await Restriction.objects().where(
        (Restriction.target_kind == "account") & (Restriction.target_id == user_id)
    )
    return {
        "reports_sent": [
            {
                "item": f"{r.target_kind}/{r.target_id}",
                "category": r.category,
                "text": r.text,
                "status": r.status,
                "outcome": r.outcome,
                "sent_at": _when(r.created_at),
            }
            for r in filed
        ],
        "appeals": [
            {
                "item": f"{a.target_kind}/{a.target_id}",
                "text": a.text,
                "status": a.status,
                "statement": a.statement,
                "sent_at": _when(a.created_at),
                "decided_at": _when(a.decided_at),
            }
            for a in appeals
        ],
        "moderation_log": [
            {
                "action": e.action,
                "item": f"{e.target_kind}/{e.target_id}",
                "by_you": actor is not None and e.actor == actor.pseudonym,
                "reason": e.reason,
                "until": _when(e.until),
                "at": _when(e.created_at),
            }
            for e in decisions
        ],
        "account_measures": [
            {"kind": r.kind, "until": _when(r.until), "lifted_at": _when(r.lifted_at)}
            for r in restrictions
        ],
    }


async def delete_for(user_id: int) -> None:
    """Remove ``user_id``'s moderation data; audit entries keep only an untraceable pseudonym.

    Reports the user sent go (their text is theirs), and so do reports about the
    user's content, their appeals, the measures on their account and the link from
    their pseudonym to the account.
    """
    await Report.delete().where((Report.reporter == user_id) | (Report.owner == user_id))
    await Appeal.delete().where(Appeal.appellant == user_id)
    await Restriction.delete().where(
        (Restriction.target_kind == "account") & (Restriction.target_id == user_id)
    )
    await Actor.delete().where(Actor.user == user_id)
