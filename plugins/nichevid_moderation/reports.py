"""Reports: anyone signed in (and visitors, if the operator allows) flags an item.

Rules:

* One report per reporter and item: a second report of the same item is the first
  one again, so it counts once.
* A reporter may send ``reports_per_hour`` reports an hour (visitors: per address).
* Nobody reports their own content.
* The reporter sees each report's state: open, or what a moderator decided.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nichevid.i18n import gettext
from nichevid_moderation.errors import ModerationError
from nichevid_moderation.settings import CATEGORY_WEIGHTS, moderation_settings
from nichevid_moderation.tables import Report
from nichevid_moderation.targets import Target, find

TEXT_MAX = 1000


def categories() -> dict[str, str]:
    """Report categories and what each says, in the reader's language."""
    return {
        "spam": gettext("Spam or scam"),
        "harassment": gettext("Harassment or bullying"),
        "hate": gettext("Hate speech"),
        "violence": gettext("Violence or threats"),
        "sexual": gettext("Sexual content"),
        "self_harm": gettext("Self-harm or suicide"),
        "child_safety": gettext("Endangers a child"),
        "misinformation": gettext("False information"),
        "copyright": gettext("Copyright infringement"),
        "other": gettext("Something else"),
    }


def outcomes() -> dict[str, str]:
    """What the reporter reads about a report, by its outcome."""
    return {
        "": gettext("Waiting for a moderator"),
        "approve": gettext("Reviewed: no rule was broken"),
        "remove": gettext("Removed"),
        "age_restrict": gettext("Age-restricted"),
        "limit_reach": gettext("Kept out of recommendations"),
        "warn": gettext("The author was warned"),
        "suspend": gettext("The author was suspended"),
        "ban": gettext("The author was banned"),
        "gone": gettext("Deleted by its author before a decision"),
    }


def reporter_key(user: Any, address: str) -> str:
    """``u<id>`` for a member, ``a<hash of the address>`` for a visitor."""
    if user is not None:
        return f"u{user.id}"
    return "a" + hashlib.sha256(address.encode()).hexdigest()[:32]


def _integrity_error(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.IntegrityError) or type(exc).__name__.endswith(
        "UniqueViolationError"
    )


async def file_report(
    resources: Any,
    *,
    reporter: Any,
    address: str,
    kind: str,
    ref: str,
    category: str,
    text: str = "",
) -> Report:
    """Store a report of the item ``kind``/``ref``, or return the reporter's earlier one.

    Args:
        resources: The running app's resources (settings, rate limiter).
        reporter: The signed-in user, or ``None`` for a visitor.
        address: The client address (visitors are told apart by it).
        kind: ``video``, ``comment`` or ``account``.
        ref: Video slug, comment id or username.
        category: One of :func:`categories`.
        text: Optional details, at most :data:`TEXT_MAX` characters.

    Raises:
        ModerationError: 401 for a visitor when anonymous reports are off, 404 for an
            unknown item, 400 for a bad category, long text or one's own content,
            429 past the hourly limit. Nothing is stored then.
    """
    config = moderation_settings(resources.settings)
    if reporter is None and not config.anonymous_reports:
        raise ModerationError(401, gettext("Please log in to report something."))
    target = await find(kind, ref)
    if category not in CATEGORY_WEIGHTS:
        raise ModerationError(400, gettext("Choose one of the listed reasons for your report."))
    text = text.strip()
    if len(text) > TEXT_MAX:
        raise ModerationError(
            400,
            gettext("Details can be at most %(num)s characters; shorten them.", num=TEXT_MAX),
        )
    if reporter is not None and target.owner_id == reporter.id:
        raise ModerationError(400, gettext("You cannot report your own content."))
    key = reporter_key(reporter, address)
    earlier = await _earlier(key, target)
    if earlier is not None:
        return earlier
    verdict = await resources.limiter.hit(f"report:{key}", config.reports_per_hour, 3600)
    if not verdict.allowed:
        raise ModerationError(
            429,
            gettext(
                "You can send %(num)s reports an hour; wait %(minutes)s minutes and try again.",
                num=config.reports_per_hour,
                minutes=max(1, verdict.retry_after // 60),
            ),
            retry_after=verdict.retry_after,
        )
    report = Report(
        reporter=reporter.id if reporter is not None else None,
        reporter_key=key,
        target_kind=target.kind,
        target_id=target.id,
        owner=target.owner_id,
        category=category,
        text=text,
    )
    try:
        await report.save()
    except Exception as exc:
        if not _integrity_error(exc):
            raise
        # The same reporter sent the same report twice at once: the first one stands.
        again = await _earlier(key, target)
        if again is None:
            raise
        return again
    return report


async def _earlier(key: str, target: Target) -> Report | None:
    return await (
        Report.objects()
        .where(
            (Report.reporter_key == key)
            & (Report.target_kind == target.kind)
            & (Report.target_id == target.id)
        )
        .first()
    )


@dataclass(frozen=True)
class Filed:
    """One of a reporter's reports as their page shows it."""

    id: int
    kind: str
    target_id: int
    category: str
    status: str
    outcome: str
    created_at: datetime
    decided_at: datetime | None


async def reports_by(user: Any, limit: int = 100) -> list[Filed]:
    """The reports ``user`` filed, newest first, with what became of each."""
    rows = await (
        Report.objects()
        .where(Report.reporter == user.id)
        .order_by(Report.id, ascending=False)
        .limit(limit)
    )
    return [
        Filed(
            id=int(r.id),
            kind=r.target_kind,
            target_id=int(r.target_id),
            category=r.category,
            status=r.status,
            outcome=r.outcome,
            created_at=r.created_at,
            decided_at=r.decided_at,
        )
        for r in rows
    ]


async def open_reports(kind: str, target_id: int) -> list[Report]:
    """The open reports of one item, oldest first."""
    return await (
        Report.objects()
        .where(
            (Report.target_kind == kind)
            & (Report.target_id == target_id)
            & (Report.status == "open")
        )
        .order_by(Report.id)
    )
