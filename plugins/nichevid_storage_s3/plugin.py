"""The S3 plugin's hook implementations.

``register_storage_backends`` names the backend ``"s3"``; the operator picks it
with ``[storage] backend = "s3"`` (or as the CDN plugin's origin). Enabling the
plugin alone changes nothing: files stay where they are until the operator moves
them (``nichevid storage copy``) and switches. The core checks the bucket when a
process starts (:func:`nichevid.runtime.check_storage`).
"""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import ConfigError
from nichevid.storage import Storage

NAME = "s3"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid_storage_s3.settings import SECTION, S3Settings

    return {SECTION: S3Settings}


def build(settings: Any) -> Storage:
    """The ``"s3"`` backend of ``settings``; a bad value becomes one :class:`ConfigError`."""
    import msgspec

    from nichevid_storage_s3.settings import s3_settings
    from nichevid_storage_s3.storage import S3Storage

    try:
        config = s3_settings(settings)
    except msgspec.ValidationError as exc:
        raise ConfigError(str(exc).split(" - at ")[0]) from None
    if config.serve == "presign" and getattr(settings.media, "hls", False):
        raise ConfigError(
            'plugin.s3.serve = "presign" cannot serve HLS playlists (their segments would '
            'carry no S3 signature): set serve = "proxy", or media.hls = false'
        )
    return S3Storage(config)


@hookimpl
def register_storage_backends() -> dict[str, Any]:
    return {NAME: build}
