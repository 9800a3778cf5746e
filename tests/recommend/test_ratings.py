"""The 1..5 skip-aware scale, case by case."""

from __future__ import annotations

import pytest

from nichevid.recommend.ratings import Signals, rating


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        (Signals(watched_ms=1_000, duration_ms=30_000, skipped=True), 1),
        (Signals(watched_ms=2_000, duration_ms=30_000), 1),
        (Signals(watched_ms=20_000, duration_ms=30_000, not_interested=True, liked=True), 1),
        (Signals(watched_ms=4_000, duration_ms=30_000, skipped=True), 2),
        (Signals(watched_ms=6_000, duration_ms=30_000), 3),
        (Signals(watched_ms=6_000, duration_ms=30_000, skipped=True), 2),
        (Signals(watched_ms=18_000, duration_ms=30_000), 4),
        (Signals(watched_ms=8_000, duration_ms=8_000, completed=True), 4),
        (Signals(watched_ms=500, duration_ms=30_000, skipped=True, liked=True), 5),
        (Signals(watched_ms=500, duration_ms=30_000, shared=True), 5),
        (Signals(commented=True), 5),
        (Signals(followed=True), 5),
        # A two-second clip watched whole is a long view, not a skip.
        (Signals(watched_ms=2_000, duration_ms=2_000), 4),
        # Logs that decided valid play and long view themselves are taken at their word.
        (Signals(watched_ms=4_000, duration_ms=60_000, valid_play=True, long_view=False), 3),
        (Signals(watched_ms=4_000, duration_ms=60_000, valid_play=False, long_view=False), 2),
        (Signals(watched_ms=1_000, duration_ms=60_000, valid_play=False, long_view=True), 4),
    ],
)
def test_rating(signals: Signals, expected: int) -> None:
    assert rating(signals) == expected


def test_every_rating_is_on_the_scale() -> None:
    for watched in (0, 1_000, 3_000, 5_000, 18_000, 60_000):
        for duration in (0, 2_000, 10_000, 60_000):
            for flags in range(8):
                signals = Signals(
                    watched_ms=watched,
                    duration_ms=duration,
                    completed=bool(flags & 1),
                    skipped=bool(flags & 2),
                    liked=bool(flags & 4),
                )
                assert 1 <= rating(signals) <= 5
