"""Subscription settings: the ``[plugin.subscriptions]`` section.

A bad value stops start-up with one line naming it;
``NICHEVID_PLUGIN__SUBSCRIPTIONS__<KEY>`` sets a key from the environment.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nichevid.settings import plugin_section

SECTION = "subscriptions"


class SubscriptionSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How many tiers a creator may offer and how long access outlives a missed payment."""

    # Tiers one creator may offer at a time (retired ones do not count).
    max_tiers: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    # After a failed renewal, subscribers keep watching this many days while the
    # provider retries; then the subscription lapses.
    grace_days: Annotated[int, msgspec.Meta(ge=0, le=60)] = 3
    # A renewal is usually paid a little after the period ends: access outlives the
    # paid period by this many hours so nobody is locked out in between.
    renewal_leeway_hours: Annotated[int, msgspec.Meta(ge=0, le=168)] = 24


def subscription_settings(settings: Any) -> SubscriptionSettings:
    """The instance's ``[plugin.subscriptions]`` settings (defaults when not parsed)."""
    return plugin_section(settings, SECTION, SubscriptionSettings)
