"""A/B tests of ranking settings: a stable split of viewers, and the figures per arm.

A viewer's arm follows from a hash of who they are (``u<id>`` or ``s<cookie>``), so
it never changes while ``ab_share`` stays the same. Arm B ranks with the settings
in ``ab_params`` laid over the rest. The report reads the watch events of the
For You feed and the likes of a window and groups them by arm with the same hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import msgspec

from nichevid.feed.tables import WatchEvent
from nichevid.recommend.settings import RecommendSettings
from nichevid.social.tables import Like

ARMS = ("A", "B")


def arm(viewer: str, share: float) -> str:
    """``"B"`` for the ``share`` of viewers whose stable hash falls below it, else ``"A"``."""
    if share <= 0:
        return "A"
    digest = hashlib.sha256(b"nichevid-ab:" + viewer.encode()).digest()
    return "B" if int.from_bytes(digest[:8], "big") / 2**64 < share else "A"


def arm_settings(config: RecommendSettings, viewer: str) -> tuple[str, RecommendSettings]:
    """The viewer's arm and the settings it ranks with."""
    which = arm(viewer, config.ab_share)
    if which == "A" or not config.ab_params:
        return which, config
    merged = {**msgspec.to_builtins(config), **config.ab_params, "ab_params": {}}
    return which, msgspec.convert(merged, RecommendSettings)


@dataclass
class ArmReport:
    """What one arm's viewers did in the window."""

    arm: str
    viewers: int = 0
    views: int = 0
    watched_ms: int = 0
    completions: int = 0
    member_views: int = 0
    likes: int = 0

    @property
    def watch_seconds_per_viewer(self) -> float:
        return self.watched_ms / 1000 / self.viewers if self.viewers else 0.0

    @property
    def completion_rate(self) -> float:
        return self.completions / self.views if self.views else 0.0

    @property
    def likes_per_view(self) -> float:
        return self.likes / self.member_views if self.member_views else 0.0


def _events_sql() -> str:
    return f"""
        SELECT viewer, session_id, COUNT(*) AS views, SUM(watched_ms) AS watched,
               SUM(CASE WHEN completed THEN 1 ELSE 0 END) AS completions
          FROM {WatchEvent._meta.tablename}
         WHERE created_at >= {{}} AND feed = 'foryou'
         GROUP BY viewer, session_id
    """  # noqa: S608 - a table name only


def _likes_sql() -> str:
    return f"""
        SELECT viewer, COUNT(*) AS likes FROM {Like._meta.tablename}
         WHERE created_at >= {{}} GROUP BY viewer
    """  # noqa: S608 - a table name only


async def report(share: float, since: datetime) -> list[ArmReport]:
    """Per-arm figures of For You since ``since``, viewers split as ``share`` splits them."""
    arms = {name: ArmReport(name) for name in ARMS}
    seen: set[str] = set()
    members: dict[int, str] = {}
    for row in await WatchEvent.raw(_events_sql(), since):
        member = row["viewer"]
        key = f"u{member}" if member is not None else f"s{row['session_id']}"
        found = arms[arm(key, share)]
        if key not in seen:
            seen.add(key)
            found.viewers += 1
        found.views += int(row["views"])
        found.watched_ms += int(row["watched"] or 0)
        found.completions += int(row["completions"] or 0)
        if member is not None:
            found.member_views += int(row["views"])
            members[int(member)] = found.arm
    for row in await Like.raw(_likes_sql(), since):
        which = members.get(int(row["viewer"]))
        if which is not None:
            arms[which].likes += int(row["likes"])
    return [arms[name] for name in ARMS]
