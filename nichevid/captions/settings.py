"""Captions settings: the ``[plugin.captions]`` section.

Captions are a built-in plugin, so their limits live in the plugin's own section
(``NICHEVID_PLUGIN__CAPTIONS__<KEY>`` in the environment); a bad value stops start-up
with one line like any other setting.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nichevid.settings import plugin_section

SECTION = "captions"

Positive = Annotated[int, msgspec.Meta(ge=1)]
NotNegative = Annotated[int, msgspec.Meta(ge=0)]


class CaptionSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Limits of the subtitle files creators attach to their videos."""

    # Largest WebVTT file accepted, in bytes.
    max_bytes: Positive = 512 * 1024
    # Most cues one file may hold.
    max_cues: Positive = 5000
    # Most languages (tracks) one video may have.
    max_tracks: Positive = 10
    # How far after the video's end a cue may still start, in milliseconds.
    end_slack_ms: NotNegative = 1000


def captions_settings(settings: Any) -> CaptionSettings:
    """The instance's ``[plugin.captions]`` settings (defaults when the app did not parse them)."""
    return plugin_section(settings, SECTION, CaptionSettings)
