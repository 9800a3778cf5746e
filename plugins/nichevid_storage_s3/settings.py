"""S3 settings: the ``[plugin.s3]`` section.

A bad value stops start-up with one line naming the key.
``NICHEVID_PLUGIN__S3__<KEY>`` sets a key from the environment; the secret key is
best given as ``secret_access_key = { env = "NICHEVID_S3_SECRET" }``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import msgspec

from nichevid.settings import Secret, http_url_problem, plugin_section

SECTION = "s3"
ENDPOINT_EXAMPLE = "e.g. https://s3.eu-central-1.amazonaws.com or http://10.0.0.5:8333"
# S3's own rules for bucket names: 3 to 63 lower-case letters, digits, dots and dashes,
# starting and ending with a letter or digit.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MIB = 1024 * 1024
# Multipart parts: S3 refuses parts under 5 MiB (but the last) and over 5 GiB.
PART_MIN_MB = 5
PART_MAX_MB = 5 * 1024
# S3 signatures (SigV4) are valid for 7 days at most.
PRESIGN_MAX_SECONDS = 7 * 24 * 3600


class S3Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where the bucket is, how to sign in, and how browsers reach its files."""

    # The bucket every file goes to; it must exist.
    bucket: str = ""
    # The S3 API's address; empty: Amazon S3 in ``region``.
    endpoint_url: str = ""
    # The region requests are signed for (any name the server accepts; MinIO,
    # SeaweedFS and Garage accept ``us-east-1``).
    region: str = "us-east-1"
    # Keys are stored under this prefix in the bucket, e.g. ``nichevid/`` to share a
    # bucket; empty: the bucket's root.
    prefix: str = ""
    access_key_id: str = ""
    secret_access_key: Secret = msgspec.field(default_factory=lambda: Secret(""))
    # ``path`` (``endpoint/bucket/key``, what self-hosted servers need), ``virtual``
    # (``bucket.endpoint/key``) or ``auto`` (the client library picks).
    addressing_style: Literal["auto", "path", "virtual"] = "path"
    # How browsers get the files: ``proxy`` (nichevid's own ``/media/`` route reads
    # them from the bucket and checks its signatures; the bucket stays private) or
    # ``presign`` (browsers fetch them from the bucket with S3-signed addresses).
    serve: Literal["proxy", "presign"] = "proxy"
    # With ``serve = "presign"``: the S3 address browsers use, when it differs from
    # ``endpoint_url`` (an internal address); empty: ``endpoint_url``.
    browser_endpoint_url: str = ""
    # With ``serve = "presign"``: how long addresses of open videos' files stay valid
    # (restricted videos' use ``media.signed_url_ttl``). 60 to 604800 (7 days).
    presign_seconds: int = 6 * 3600
    # Seconds a web process keeps a file's size between the ranges a player asks for
    # (saves a request to the store per range); 0: ask every time.
    size_cache_seconds: float = 10.0
    # Streams larger than this go up in parts of this size (MiB, 5 to 5120).
    part_size_mb: int = 8
    # Seconds to wait for a connection, and for each answer.
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    # Attempts per request, retries included (connection errors, throttling, 5xx).
    max_attempts: int = 4

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError(problems[0])
        self.endpoint_url = self.endpoint_url.rstrip("/")
        self.browser_endpoint_url = self.browser_endpoint_url.rstrip("/")

    def problems(self) -> list[str]:
        """Every reason these settings cannot work, one line each (empty when fine)."""
        found: list[str | None] = []
        if not self.bucket:
            found.append(
                "plugin.s3.bucket is not set: name the bucket nichevid keeps its media in "
                '(e.g. bucket = "nichevid-media"); create it first'
            )
        elif not BUCKET_NAME.fullmatch(self.bucket) or ".." in self.bucket:
            found.append(
                f"plugin.s3.bucket {self.bucket!r} is not a valid bucket name: use 3 to 63 "
                "lower-case letters, digits, dots and dashes, starting and ending with a "
                "letter or digit"
            )
        if self.endpoint_url:
            found.append(
                http_url_problem("plugin.s3.endpoint_url", self.endpoint_url, ENDPOINT_EXAMPLE)
            )
        if self.browser_endpoint_url:
            found.append(
                http_url_problem(
                    "plugin.s3.browser_endpoint_url", self.browser_endpoint_url, ENDPOINT_EXAMPLE
                )
            )
        if not 60 <= self.presign_seconds <= PRESIGN_MAX_SECONDS:
            found.append(
                f"plugin.s3.presign_seconds {self.presign_seconds} is out of range: S3 signs "
                f"addresses for 60 to {PRESIGN_MAX_SECONDS} seconds (7 days)"
            )
        if not self.region.strip() or any(c.isspace() for c in self.region):
            found.append(
                f"plugin.s3.region {self.region!r} is not a region name: use the bucket's "
                'region, e.g. "eu-central-1" (self-hosted servers: "us-east-1")'
            )
        if self.prefix and (
            self.prefix.startswith("/") or not self.prefix.endswith("/") or "//" in self.prefix
        ):
            found.append(
                f"plugin.s3.prefix {self.prefix!r} must be a folder: no leading '/', one "
                "trailing '/', e.g. \"nichevid/\""
            )
        if bool(self.access_key_id) != bool(self.secret_access_key.reveal()):
            found.append(
                "plugin.s3.access_key_id and plugin.s3.secret_access_key go together: set "
                'both (secret_access_key = { env = "NICHEVID_S3_SECRET" }), or neither to '
                "use the server's own credentials (AWS_* variables, an instance role)"
            )
        if not PART_MIN_MB <= self.part_size_mb <= PART_MAX_MB:
            found.append(
                f"plugin.s3.part_size_mb {self.part_size_mb} is out of range: S3 takes parts "
                f"of {PART_MIN_MB} to {PART_MAX_MB} MiB"
            )
        for key in ("connect_timeout", "read_timeout"):
            if getattr(self, key) <= 0:
                found.append(f"plugin.s3.{key} must be more than 0 seconds")
        if not 0 <= self.size_cache_seconds <= 3600:
            found.append(
                f"plugin.s3.size_cache_seconds {self.size_cache_seconds} must be 0 to 3600"
            )
        if not 1 <= self.max_attempts <= 20:
            found.append(f"plugin.s3.max_attempts {self.max_attempts} must be 1 to 20")
        return [line for line in found if line]

    @property
    def part_size(self) -> int:
        """The part size in bytes."""
        return self.part_size_mb * MIB


def s3_settings(settings: Any) -> S3Settings:
    """The instance's ``[plugin.s3]`` settings, validated."""
    return plugin_section(settings, SECTION, S3Settings)
