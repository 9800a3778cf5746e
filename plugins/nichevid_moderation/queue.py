"""The review queue: open reports grouped per item, most urgent first, plus held videos.

Urgency = reports x the weight of the gravest category x (1 + log10(1 + reach)),
where reach is how often the video was watched (its creator's reach for comments
and accounts counts the same way), so a much-watched video with a grave report
comes before a niche one reported for spam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from nichevid.accounts.services import get_user_by_id
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video
from nichevid.playlists.tables import Playlist
from nichevid_moderation import audit
from nichevid_moderation.actions import close_reports
from nichevid_moderation.settings import CATEGORY_WEIGHTS
from nichevid_moderation.tables import Report


@dataclass
class Case:
    """One item waiting for a moderator."""

    kind: str
    target_id: int
    reports: int
    categories: list[str]
    reach: int
    first_at: datetime | None
    owner_id: int | None
    held: bool = False
    urgency: float = 0.0
    label: str = ""
    owner: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def urgency(reports: int, categories: list[str], reach: int, held: bool = False) -> float:
    """How soon a case needs a moderator (higher: sooner)."""
    weight = max((CATEGORY_WEIGHTS.get(c, 1.0) for c in categories), default=1.0)
    base = max(reports, 1 if held else 0) * weight
    return round(base * (1.0 + math.log10(1 + max(reach, 0))), 3)


async def _reach(video_ids: list[int]) -> dict[int, int]:
    if not video_ids:
        return {}
    rows = (
        await WatchEvent.select(WatchEvent.video, Count(alias="n"))
        .where(WatchEvent.video.is_in(video_ids))
        .group_by(WatchEvent.video)
    )
    return {int(r["video"]): int(r["n"]) for r in rows}


async def close_vanished() -> int:
    """Close the open reports of videos and playlists deleted since (outcome ``gone``).

    Their creators may delete them at any time, and nothing is left to decide on.
    Returns how many reports were closed.
    """
    closed = 0
    for kind, table in (("video", Video), ("playlist", Playlist)):
        reported = await Report.select(Report.target_id).where(
            (Report.target_kind == kind) & (Report.status == "open")
        )
        ids = {int(r["target_id"]) for r in reported}
        if not ids:
            continue
        found = await table.select(table.id).where(table.id.is_in(list(ids)))
        for target_id in ids - {int(r["id"]) for r in found}:
            closed += await close_reports(kind, target_id, "gone")
    return closed


async def cases(limit: int = 100) -> list[Case]:
    """Open cases, most urgent first (then oldest first); reports of deleted items close."""
    await close_vanished()
    rows = await Report.select(
        Report.target_kind, Report.target_id, Report.category, Report.owner, Report.created_at
    ).where(Report.status == "open")
    grouped: dict[tuple[str, int], Case] = {}
    for row in rows:
        key = (row["target_kind"], int(row["target_id"]))
        case = grouped.get(key)
        if case is None:
            case = grouped[key] = Case(key[0], key[1], 0, [], 0, row["created_at"], row["owner"])
        case.reports += 1
        if row["category"] not in case.categories:
            case.categories.append(row["category"])
        if case.first_at is None or row["created_at"] < case.first_at:
            case.first_at = row["created_at"]
    held = await Video.select(Video.id, Video.owner, Video.created_at).where(Video.status == "held")
    for row in held:
        key = ("video", int(row["id"]))
        case = grouped.get(key)
        if case is None:
            case = grouped[key] = Case("video", key[1], 0, [], 0, row["created_at"], row["owner"])
        case.held = True
    reach = await _reach([c.target_id for c in grouped.values() if c.kind == "video"])
    for case in grouped.values():
        case.reach = reach.get(case.target_id, 0)
        case.urgency = urgency(case.reports, case.categories, case.reach, case.held)
    ordered = sorted(
        grouped.values(),
        key=lambda c: (-c.urgency, c.first_at.timestamp() if c.first_at else 0.0),
    )[:limit]
    for case in ordered:
        owner = await get_user_by_id(int(case.owner_id)) if case.owner_id else None
        case.owner = owner.username if owner else ""
    return ordered


@dataclass(frozen=True)
class History:
    """What moderators know about an account: its videos, reports and earlier actions."""

    videos: int
    removed: int
    reports: int
    actions: list[audit.Line]


async def history(settings: Any, user_id: int | None) -> History | None:
    """The moderation history of ``user_id``'s account and content."""
    if user_id is None:
        return None
    videos = await Video.count().where(Video.owner == user_id)
    removed = await Video.count().where((Video.owner == user_id) & (Video.status == "removed"))
    reports = await Report.count().where(Report.owner == user_id)
    actions = await audit.lines(subject=audit.pseudonym(settings, user_id), limit=20)
    return History(videos, removed, reports, actions)
