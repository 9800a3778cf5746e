"""What a viewer's signals on one video say, as one rating on a 1..5 skip-aware scale.

Every part of the recommender (training, real-time feedback, offline evaluation)
turns signals into ratings here and nowhere else:

===  ==========================================================================
 1   skipped (played less than ``min(3 s, duration)``), or "not interested"
 2   partial: played past the skip line but not a valid play (or moved on early)
 3   valid play: at least ``min(VALID_PLAY_MS, half the duration)``
 4   long view: at least ``min(LONG_VIEW_MS, duration)``, or played to the end
 5   liked, shared, commented on, or followed its creator from it
===  ==========================================================================

An explicit "not interested" beats everything; an explicit positive action beats
watch time (a like after a quick skip is still a like). The thresholds follow the
definitions of the KuaiRand logs (skip below 3 s; long view at 18 s or the whole
video), so a model measured on those logs means the same thing on this platform.
"""

from __future__ import annotations

from dataclasses import dataclass

SKIP_MS = 3_000
VALID_PLAY_MS = 5_000
LONG_VIEW_MS = 18_000

NOT_INTERESTED = 1
SKIP = 1
PARTIAL = 2
VALID_PLAY = 3
LONG_VIEW = 4
ENGAGED = 5
POSITIVE = LONG_VIEW  # ratings at or above this count as positives in evaluation


@dataclass(frozen=True, slots=True)
class Signals:
    """Everything one viewer did with one video, summed over their viewings.

    ``valid_play`` and ``long_view`` may be given when the source already decided
    them (the KuaiRand logs do); otherwise they follow from watch time and duration.
    """

    watched_ms: int = 0
    duration_ms: int = 0
    completed: bool = False
    skipped: bool = False
    liked: bool = False
    shared: bool = False
    commented: bool = False
    followed: bool = False
    not_interested: bool = False
    valid_play: bool | None = None
    long_view: bool | None = None


def _threshold(limit_ms: int, duration_ms: int) -> int:
    return min(limit_ms, duration_ms) if duration_ms > 0 else limit_ms


def rating(signals: Signals) -> int:
    """The 1..5 rating of one viewer for one video (see the module table)."""
    s = signals
    if s.not_interested:
        return NOT_INTERESTED
    if s.liked or s.shared or s.commented or s.followed:
        return ENGAGED
    long_view = s.long_view
    if long_view is None:
        long_view = s.completed or s.watched_ms >= _threshold(LONG_VIEW_MS, s.duration_ms)
    if long_view:
        return LONG_VIEW
    valid = s.valid_play
    if valid is None:
        half = s.duration_ms // 2 if s.duration_ms > 0 else VALID_PLAY_MS
        valid = not s.skipped and s.watched_ms >= min(VALID_PLAY_MS, half)
    if valid:
        return VALID_PLAY
    if s.watched_ms < _threshold(SKIP_MS, s.duration_ms):
        return SKIP
    return PARTIAL
