"""Privacy settings: the ``[plugin.privacy]`` section.

Privacy is a built-in plugin, so its settings live in the plugin's own section
(``NICHEVID_PLUGIN__PRIVACY__<KEY>`` in the environment); a bad value stops start-up.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nichevid.settings import plugin_section

SECTION = "privacy"

Positive = Annotated[int, msgspec.Meta(ge=1)]
NotNegative = Annotated[int, msgspec.Meta(ge=0)]


class PrivacySettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How long exports and marked accounts live, and how long watch history is kept."""

    # Hours a finished export can be downloaded; the zip is deleted afterwards.
    export_link_hours: Positive = 48
    # Days between a deletion request and the erasure (0: at the next run).
    deletion_grace_days: NotNegative = 14
    # Days after which a marked account is erased even with videos still processing.
    processing_wait_days: NotNegative = 1
    # Days of watch history kept (0: kept for ever).
    watch_history_days: NotNegative = 0
    # Watch events deleted per statement by the retention job.
    retention_batch: Positive = 5000
    # Ask anonymous viewers before storing their watch events or setting a viewer cookie.
    consent_banner: bool = False


def privacy_settings(settings: Any) -> PrivacySettings:
    """The instance's ``[plugin.privacy]`` settings (defaults when the app did not parse them)."""
    return plugin_section(settings, SECTION, PrivacySettings)
