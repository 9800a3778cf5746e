"""CDN settings: the ``[plugin.cdn]`` section.

A bad value stops start-up with one line naming the key.
``NICHEVID_PLUGIN__CDN__<KEY>`` sets a key from the environment.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from nichevid.settings import Secret, http_url_problem, plugin_section

SECTION = "cdn"
EXAMPLE = "e.g. https://cdn.example.com or https://cdn.example.com/media"


class CdnSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where the CDN answers, how it checks signed URLs, and which storage it pulls from."""

    # The CDN's address for media, e.g. ``https://cdn.example.com/media``; a key is
    # appended after a ``/``.
    base_url: str = ""
    # How restricted videos' URLs are signed: ``none`` (the origin signs them: with
    # local disk, the core's signed media route), ``nginx`` (secure_link) or ``bunny``
    # (token authentication).
    signing: Literal["none", "nginx", "bunny"] = "none"
    # The key the CDN checks signatures with; required unless signing is ``none``.
    secret: Secret = msgspec.field(default_factory=lambda: Secret(""))
    # Where signed URLs point; empty: ``base_url``. For CDNs whose token check covers a
    # whole zone (Bunny), a second zone that checks tokens.
    signed_base_url: str = ""
    # The storage backend holding the files (a name from ``register_storage_backends``).
    origin: str = "local"

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError(problems[0])
        self.base_url = self.base_url.rstrip("/")
        self.signed_base_url = self.signed_base_url.rstrip("/")

    def problems(self) -> list[str]:
        """Every reason these settings cannot work, one line each (empty when fine)."""
        found: list[str | None] = []
        if not self.base_url:
            found.append(
                f"plugin.cdn.base_url is not set: give the CDN's address for media ({EXAMPLE})"
            )
        else:
            found.append(http_url_problem("plugin.cdn.base_url", self.base_url, EXAMPLE))
        if self.signed_base_url:
            found.append(
                http_url_problem("plugin.cdn.signed_base_url", self.signed_base_url, EXAMPLE)
            )
        if self.signing != "none" and not self.secret.reveal().strip():
            found.append(
                f'plugin.cdn.secret is empty but signing = "{self.signing}" needs it: set '
                'secret = { env = "NICHEVID_CDN_SECRET" } to the key your CDN checks, '
                'or signing = "none"'
            )
        if self.origin == SECTION:
            found.append(
                'plugin.cdn.origin cannot be "cdn" (the CDN cannot pull from itself): name '
                'the backend that holds the files, e.g. "local"'
            )
        elif not self.origin.strip():
            found.append('plugin.cdn.origin is empty: name a storage backend, e.g. "local"')
        return [line for line in found if line]

    @property
    def signed_base(self) -> str:
        """The base URL of signed URLs."""
        return self.signed_base_url or self.base_url


def cdn_settings(settings: Any) -> CdnSettings:
    """The instance's ``[plugin.cdn]`` settings, validated."""
    return plugin_section(settings, SECTION, CdnSettings)
