"""Feed settings: the ``[plugin.feed]`` section (watch events and the For You order).

The feed is a built-in plugin, so its settings live in its own plugin section
(``NICHEVID_PLUGIN__FEED__<KEY>`` in the environment); a bad value stops start-up
with one line like any other setting.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nichevid.settings import plugin_section

SECTION = "feed"

Positive = Annotated[int, msgspec.Meta(ge=1)]
NotNegative = Annotated[int, msgspec.Meta(ge=0)]


class FeedSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How watch events are accepted, limited and written, and how For You is ordered."""

    # Most events one request may carry; the player sends far fewer (20 at most).
    events_max_batch: Positive = 50
    # Requests to /api/events per minute from one viewer (session or user); 0: no limit.
    events_viewer_per_minute: NotNegative = 60
    # Requests to /api/events per minute from one client address; 0: no limit.
    events_ip_per_minute: NotNegative = 1200
    # Client event ids remembered per viewer to drop resent events.
    events_dedupe_ids: Positive = 2000
    # Milliseconds a reported watch time may exceed duration x (replays + 1).
    events_slack_ms: NotNegative = 2000
    # The write-behind buffer is written to the database this often, in seconds...
    events_flush_seconds: Annotated[float, msgspec.Meta(gt=0)] = 0.5
    # ...or as soon as it holds this many events.
    events_flush_size: Positive = 2000
    # For You before a trained model: watch events of this many days rank popular videos...
    foryou_window_days: Positive = 7
    # ...among at most this many videos per rebuild...
    foryou_pool: Positive = 1000
    # ...with a fresh upload in every n-th slot (0: no fresh slots)...
    foryou_fresh_every: NotNegative = 3
    # ...and the order is rebuilt in the background at most this often, in seconds.
    foryou_refresh_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0


def feed_settings(settings: Any) -> FeedSettings:
    """The instance's ``[plugin.feed]`` settings (defaults when the app did not parse them)."""
    return plugin_section(settings, SECTION, FeedSettings)
