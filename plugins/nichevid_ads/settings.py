"""Ad settings: the ``[plugin.ads]`` section.

``NICHEVID_PLUGIN__ADS__<KEY>`` sets a key from the environment.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nichevid.settings import plugin_section

SECTION = "ads"


class AdSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How often the feed shows an ad, how long a view must last, how often one viewer sees one."""

    # Organic cards a viewer swipes through between two promoted ones.
    every: Annotated[int, msgspec.Meta(ge=3, le=100)] = 6
    # Seconds an ad must stay on screen before it counts as an impression.
    view_seconds: Annotated[int, msgspec.Meta(ge=1, le=30)] = 2
    # Seconds before the skip button of a brand takeover may be used.
    takeover_seconds: Annotated[int, msgspec.Meta(ge=0, le=15)] = 3
    # Ads of any campaign one viewer sees in a day, at most.
    per_viewer_per_day: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20
    # How long a web process keeps its list of running campaigns before reading it again.
    refresh_seconds: Annotated[int, msgspec.Meta(ge=1, le=300)] = 10


def ad_settings(settings: Any) -> AdSettings:
    """The instance's ``[plugin.ads]`` settings (defaults when not parsed)."""
    return plugin_section(settings, SECTION, AdSettings)
