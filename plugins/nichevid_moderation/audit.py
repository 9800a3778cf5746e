"""The audit log: every moderation step, append-only, people named by pseudonym.

There is no function here (or anywhere) that changes or deletes an entry, and the
database refuses UPDATE and DELETE on the table. A pseudonym is an HMAC of the user
id under the instance secret; :class:`Actor` says whose it is while the account
exists, so deleting the account leaves entries that nobody can trace back.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nichevid.core.secrets import instance_secret
from nichevid_moderation.tables import Actor, AuditEntry

PSEUDONYM_LENGTH = 20
# What the log shows for a pseudonym whose account was deleted.
GONE = "deleted account"


def pseudonym(settings: Any, user_id: int) -> str:
    """The stable pseudonym of ``user_id`` on this instance."""
    key = instance_secret(settings).encode()
    digest = hmac.new(key, f"moderation-user:{int(user_id)}".encode(), hashlib.sha256)
    return "p" + digest.hexdigest()[: PSEUDONYM_LENGTH - 1]


async def remember(settings: Any, user_id: int) -> str:
    """The pseudonym of ``user_id``, recorded as theirs while the account exists."""
    name = pseudonym(settings, user_id)
    await (
        Actor.insert(Actor(pseudonym=name, user=user_id))
        .on_conflict(target=Actor.pseudonym, action="DO NOTHING")
        .run()
    )
    return name


async def record(
    settings: Any,
    *,
    actor_id: int | None,
    action: str,
    target_kind: str,
    target_id: int,
    subject_id: int | None = None,
    reason: str = "",
    category: str = "",
    until: datetime | None = None,
    refers_to: int | None = None,
) -> AuditEntry:
    """Append one entry; ``actor_id`` ``None`` is the site itself (pre-moderation)."""
    actor = await remember(settings, actor_id) if actor_id is not None else "system"
    subject = await remember(settings, subject_id) if subject_id is not None else ""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        subject=subject,
        reason=reason[:2000],
        category=category,
        until=until,
        refers_to=refers_to,
    )
    await entry.save()
    return entry


async def get_entry(entry_id: int) -> AuditEntry | None:
    """One entry by id, or ``None``."""
    return await AuditEntry.objects().where(AuditEntry.id == entry_id).first()


@dataclass(frozen=True)
class Line:
    """One entry as the audit page shows it, pseudonyms resolved where still possible."""

    id: int
    created_at: datetime
    actor: str
    action: str
    target_kind: str
    target_id: int
    subject: str
    reason: str
    category: str
    until: datetime | None
    refers_to: int | None


async def names(pseudonyms: set[str]) -> dict[str, str]:
    """``{pseudonym: username}`` for the pseudonyms whose accounts still exist."""
    wanted = [p for p in pseudonyms if p and p != "system"]
    if not wanted:
        return {}
    rows = await Actor.select(Actor.pseudonym, Actor.user.username).where(
        Actor.pseudonym.is_in(wanted)
    )
    return {row["pseudonym"]: row["user.username"] for row in rows}


async def lines(
    *,
    target_kind: str | None = None,
    target_id: int | None = None,
    subject: str | None = None,
    limit: int = 100,
    before: int | None = None,
) -> list[Line]:
    """Entries newest first, optionally about one item or one account's content."""
    query = AuditEntry.objects().order_by(AuditEntry.id, ascending=False).limit(limit)
    if target_kind is not None and target_id is not None:
        query = query.where(
            (AuditEntry.target_kind == target_kind) & (AuditEntry.target_id == target_id)
        )
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = await query
    known = await names({r.actor for r in rows} | {r.subject for r in rows})

    def who(value: str) -> str:
        if value in ("", "system"):
            return value
        return known.get(value, f"{GONE} {value[:8]}")

    return [
        Line(
            id=int(r.id),
            created_at=r.created_at,
            actor=who(r.actor),
            action=r.action,
            target_kind=r.target_kind,
            target_id=int(r.target_id),
            subject=who(r.subject),
            reason=r.reason,
            category=r.category,
            until=r.until,
            refers_to=r.refers_to,
        )
        for r in rows
    ]
