"""tus 1.0.0 wire format: versions, extensions, headers and their parsing."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from nichevid.i18n import gettext

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "termination", "checksum", "expiration")
CHECKSUM_ALGORITHMS = ("sha1", "sha256", "md5")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# Non-standard status codes the checksum extension defines.
HTTP_460_CHECKSUM_MISMATCH = 460
EXPOSED_HEADERS = (
    "Location, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, "
    "Tus-Checksum-Algorithm, Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata"
)


class TusProtocolError(ValueError):
    """A header does not follow the tus protocol; the message says which and why."""


def parse_metadata(header: str | None) -> dict[str, str]:
    """Decode ``Upload-Metadata``: comma-separated ``key base64value`` pairs.

    Raises:
        TusProtocolError: For a malformed pair, a duplicate key or a value that is not
            base64-encoded UTF-8.
    """
    result: dict[str, str] = {}
    if not header or not header.strip():
        return result
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not parts[0] or len(parts) > 2 or parts[0] in result:
            raise TusProtocolError(
                gettext("Upload-Metadata has a malformed pair: '%(pair)s'.", pair=pair.strip())
            )
        value = ""
        if len(parts) == 2:
            try:
                value = base64.b64decode(parts[1], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise TusProtocolError(
                    gettext(
                        "The Upload-Metadata value of '%(key)s' is not base64-encoded UTF-8.",
                        key=parts[0],
                    )
                ) from exc
        result[parts[0]] = value
    return result


def parse_non_negative(header: str | None, name: str) -> int:
    """An integer header such as ``Upload-Length`` or ``Upload-Offset``.

    Raises:
        TusProtocolError: When it is missing or not a non-negative integer.
    """
    if header is None or not header.strip().isdigit():
        raise TusProtocolError(gettext("%(header)s must be a non-negative integer.", header=name))
    return int(header.strip())


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>`` as ``(algorithm, digest)``.

    Raises:
        TusProtocolError: For an unsupported algorithm or a malformed digest.
    """
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise TusProtocolError(
            gettext(
                "The Upload-Checksum algorithm must be one of %(choices)s.",
                choices=", ".join(CHECKSUM_ALGORITHMS),
            )
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error as exc:
        raise TusProtocolError(gettext("The Upload-Checksum digest is not base64.")) from exc
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise TusProtocolError(
            gettext(
                "The Upload-Checksum digest has the wrong length for %(algorithm)s.",
                algorithm=algorithm,
            )
        )
    return algorithm, digest


def http_date(moment: datetime) -> str:
    """An RFC 9110 date, the format of ``Upload-Expires``."""
    return format_datetime(moment, usegmt=True)


def base_headers(**extra: Any) -> dict[str, str]:
    """``Tus-Resumable`` plus ``extra`` headers (underscores become dashes)."""
    headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}
    headers.update({key.replace("_", "-"): str(value) for key, value in extra.items()})
    return headers
