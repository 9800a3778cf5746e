"""One rating per (viewer, video), then a temporal split into training and test days.

A pair's rating is made from its *first* logged interaction (logs repeat
impressions, some as exact duplicates); the pair belongs to the window of that
first interaction, so nothing seen in training is tested again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from nichevid.recommend.evaluate.logs import Event, Log, LogError
from nichevid.recommend.ratings import rating

DEFAULT_TEST_DAYS = 4


@dataclass(frozen=True, slots=True)
class Rated:
    """The first interaction of one viewer with one video, as a rating, and its context."""

    user_id: int
    video_id: int
    rating: int
    day: date
    time_ms: int
    feed: int = -1
    hour: int = -1


@dataclass
class Split:
    """Training ratings (time order), test ratings per viewer (time order), and the window."""

    train: list[Rated]
    test: dict[int, list[Rated]]
    train_days: tuple[date, date]
    test_days: tuple[date, date]
    train_users: set[int] = field(default_factory=set)
    train_videos: set[int] = field(default_factory=set)

    @property
    def warm_users(self) -> list[int]:
        """Test viewers the training days saw, in id order."""
        return sorted(u for u in self.test if u in self.train_users)

    @property
    def cold_users(self) -> list[int]:
        """Test viewers first seen in the test days, in id order."""
        return sorted(u for u in self.test if u not in self.train_users)


def first_ratings(events: list[Event]) -> list[Rated]:
    """One :class:`Rated` per (viewer, video) from its earliest event, in time order."""
    seen: set[tuple[int, int]] = set()
    out: list[Rated] = []
    for event in sorted(events, key=lambda e: e.time_ms):
        key = (event.user_id, event.video_id)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Rated(
                event.user_id,
                event.video_id,
                rating(event.signals),
                event.day,
                event.time_ms,
                event.feed,
                event.hour,
            )
        )
    return out


def temporal_split(
    log: Log, test_from: date | None = None, test_days: int = DEFAULT_TEST_DAYS
) -> Split:
    """Train on days before ``test_from``, test on ``test_days`` days from it.

    Without ``test_from`` the test window is the last ``test_days`` days of the log
    (2022-05-05 .. 05-08 for the shared KuaiRand subset).
    """
    rated = first_ratings(log.events)
    if not rated:
        raise LogError(f"{log.source}: the log has no events.")
    last = max(r.day for r in rated)
    first = min(r.day for r in rated)
    start = test_from or last - timedelta(days=test_days - 1)
    end = start + timedelta(days=test_days - 1)
    train = [r for r in rated if r.day < start]
    test: defaultdict[int, list[Rated]] = defaultdict(list)
    for r in rated:
        if start <= r.day <= end:
            test[r.user_id].append(r)
    if not train or not test:
        raise LogError(
            f"{log.source}: the split at {start} leaves {len(train)} training and "
            f"{sum(map(len, test.values()))} test ratings; choose another --test-from."
        )
    return Split(
        train=train,
        test=dict(test),
        train_days=(first, start - timedelta(days=1)),
        test_days=(start, end),
        train_users={r.user_id for r in train},
        train_videos={r.video_id for r in train},
    )
