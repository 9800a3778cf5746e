"""Moderation settings: the ``[plugin.moderation]`` section.

A bad value, or a word rule whose regular expression does not compile, stops start-up
with one line naming it; ``NICHEVID_PLUGIN__MODERATION__<KEY>`` sets a key from the
environment.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from nichevid.settings import plugin_section

SECTION = "moderation"

Positive = Annotated[int, msgspec.Meta(ge=1)]
NotNegative = Annotated[int, msgspec.Meta(ge=0)]

# Report categories, most urgent first; the weight multiplies a case's urgency.
CATEGORY_WEIGHTS: dict[str, float] = {
    "child_safety": 10.0,
    "self_harm": 6.0,
    "violence": 5.0,
    "hate": 4.0,
    "harassment": 3.0,
    "sexual": 3.0,
    "misinformation": 2.0,
    "copyright": 1.5,
    "spam": 1.0,
    "other": 1.0,
}


RULE_ACTIONS = ("block", "hold", "flag")
RULE_PLACES = ("captions", "comments", "both")
HOLD_MODES = ("publish", "first", "all")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} is {value!r}; use one of {', '.join(allowed)}")


class WordRule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A word or regular expression checked in captions and comments."""

    pattern: str
    # A plain word or phrase (matched case-insensitively) unless `regex` is true.
    regex: bool = False
    # block: refuse the text; hold: keep the video for review (comments: refuse);
    # flag: accept it and open a case in the review queue.
    action: str = "flag"
    applies_to: str = "both"

    def __post_init__(self) -> None:
        if not self.pattern.strip():
            raise ValueError("a word rule needs a non-empty pattern")
        _one_of("action", self.action, RULE_ACTIONS)
        _one_of("applies_to", self.applies_to, RULE_PLACES)
        if self.regex:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(
                    f"word rule {self.pattern!r} is not a valid regular expression ({exc}); "
                    "fix it or set regex = false"
                ) from None

    def compiled(self) -> re.Pattern[str]:
        """The rule as a case-insensitive pattern."""
        source = self.pattern if self.regex else re.escape(self.pattern.strip())
        return re.compile(source, re.IGNORECASE)


class ModerationSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How reports come in, how videos are pre-moderated and how long sanctions last."""

    # Visitors who are not signed in may report too (limited per address).
    anonymous_reports: bool = False
    # Reports one account (or one address) may send per hour.
    reports_per_hour: Positive = 20
    # publish: videos go live at once; first: each creator's first `hold_first` videos
    # wait for a moderator; all: every video waits.
    hold: str = "publish"
    hold_first: Positive = 3
    # Accounts younger than this many hours count as new...
    new_account_hours: NotNegative = 24
    # ...and may post at most this many comments per hour (0: no extra limit).
    new_account_comments_per_hour: NotNegative = 0
    # Words and regular expressions checked in captions and comments.
    words: list[WordRule] = msgspec.field(default_factory=list)
    # Perceptual hashes (64-bit dHash, 16 hex digits) of frames whose uploads are held...
    blocked_hashes: list[str] = msgspec.field(default_factory=list)
    # ...when a sampled keyframe is at most this many bits away from one of them.
    hash_distance: Annotated[int, msgspec.Meta(ge=0, le=32)] = 6
    # Keyframes sampled per upload for the hash check.
    hash_frames: Annotated[int, msgspec.Meta(ge=1, le=20)] = 4
    # Longest suspension a moderator may give, in days.
    max_suspension_days: Positive = 365

    def __post_init__(self) -> None:
        _one_of("hold", self.hold, HOLD_MODES)
        for value in self.blocked_hashes:
            if not re.fullmatch(r"[0-9a-fA-F]{16}", value):
                raise ValueError(
                    f"blocked_hashes: {value!r} is not a 64-bit hash; give 16 hex digits, "
                    "as `nichevid moderation hash <file>` prints them"
                )


def moderation_settings(settings: Any) -> ModerationSettings:
    """The instance's ``[plugin.moderation]`` settings (defaults when not parsed)."""
    return plugin_section(settings, SECTION, ModerationSettings)
