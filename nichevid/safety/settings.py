"""Safety settings: the ``[plugin.safety]`` section (well-being defaults of the instance).

One instance serves one niche, so these are the niche's defaults; each member may
choose their own in Settings, Safety.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nichevid.settings import plugin_section

SECTION = "safety"


class SafetySettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Defaults of the feed's well-being notices, and the age of adults."""

    # Minutes of continuous feed before the "take a break" notice (0: off; 0.5 is 30 s).
    break_reminder_minutes: Annotated[float, msgspec.Meta(ge=0, le=1440)] = 0.0
    # Minutes of video per day before the daily limit notice (0: off).
    daily_limit_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 0
    # Age from which a member may watch videos a moderator restricted to adults.
    adult_age: Annotated[int, msgspec.Meta(ge=13, le=21)] = 18


def safety_settings(settings: Any) -> SafetySettings:
    """The instance's ``[plugin.safety]`` settings (defaults when the app did not parse them)."""
    return plugin_section(settings, SECTION, SafetySettings)
