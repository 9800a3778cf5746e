"""Affiliate settings: the ``[plugin.affiliates]`` section.

A bad value stops start-up with one line naming it;
``NICHEVID_PLUGIN__AFFILIATES__<KEY>`` sets a key from the environment, and
``postback_secret = { env = "NAME" }`` keeps the secret out of the file.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from nichevid.settings import Secret, plugin_section

SECTION = "affiliates"

# A host name such as ``shop.example.com`` (letters, digits, hyphens, dots; IDNA as punycode).
DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)
PARAM = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")
MAX_PARAM_VALUE = 200
MAX_DISCLOSURE = 300


def normal_domain(text: str) -> str:
    """``text`` as a bare lower-case host name (``*.`` or a leading dot dropped)."""
    value = text.strip().lower().rstrip(".")
    for prefix in ("*.", "."):
        value = value.removeprefix(prefix)
    return value


def _domains(name: str, values: list[str]) -> list[str]:
    out = []
    for raw in values:
        value = normal_domain(raw)
        if not DOMAIN.match(value):
            raise ValueError(
                f"plugin.affiliates.{name}: {raw!r} is not a domain name (write it like "
                "example-shop.com, without https:// or a path)"
            )
        out.append(value)
    return sorted(set(out))


class AffiliateSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Which links creators may attach, what is added to them, and how sales are reported."""

    # Links one video may carry.
    max_links_per_video: Annotated[int, msgspec.Meta(ge=1, le=8)] = 3
    # Accept plain http:// links too (https:// only by default).
    allow_http: bool = False
    # Domains (and their subdomains) no link may point at.
    blocked_domains: list[str] = msgspec.field(default_factory=list)
    # When not empty, links may point at these domains (and their subdomains) only.
    allowed_domains: list[str] = msgspec.field(default_factory=list)
    # Query parameters added to outgoing links per domain (and its subdomains):
    # ``{ "example-shop.com" = { tag = "mytag-21" } }``.
    append_params: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    # Replace a parameter of the creator's link that has the same name as one of
    # ``append_params`` (by default the creator's value is kept).
    override_params: bool = False
    # The query parameter that carries the click token to the network, which echoes it
    # back in its postback.
    click_param: str = "subid"
    # The key networks sign postbacks with (HMAC-SHA256); postbacks are refused while empty.
    postback_secret: Secret = msgspec.field(default_factory=lambda: Secret(""))
    # Your own disclosure sentence under a video's links (empty: the translated default).
    disclosure: str = ""
    # Clicks one viewer may make per minute before ``/go/`` answers 429.
    clicks_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 30

    def __post_init__(self) -> None:
        self.blocked_domains = _domains("blocked_domains", self.blocked_domains)
        self.allowed_domains = _domains("allowed_domains", self.allowed_domains)
        both = sorted(set(self.blocked_domains) & set(self.allowed_domains))
        if both:
            raise ValueError(
                f"plugin.affiliates: {', '.join(both)} is both in blocked_domains and "
                "allowed_domains; keep it in one of them"
            )
        if not PARAM.match(self.click_param):
            raise ValueError(
                f"plugin.affiliates.click_param {self.click_param!r} must be 1-64 letters, "
                "digits, _ . - (such as subid)"
            )
        self.append_params = self._check_params()
        if len(self.disclosure) > MAX_DISCLOSURE:
            raise ValueError(
                f"plugin.affiliates.disclosure is longer than {MAX_DISCLOSURE} characters"
            )

    def _check_params(self) -> dict[str, dict[str, str]]:
        table: dict[str, dict[str, str]] = {}
        for raw, params in self.append_params.items():
            domain = normal_domain(raw)
            if not DOMAIN.match(domain):
                raise ValueError(
                    f"plugin.affiliates.append_params: {raw!r} is not a domain name "
                    "(write it like example-shop.com)"
                )
            for name, value in params.items():
                if not PARAM.match(name):
                    raise ValueError(
                        f"plugin.affiliates.append_params.{domain}: parameter name {name!r} "
                        "must be 1-64 letters, digits, _ . -"
                    )
                if name == self.click_param:
                    raise ValueError(
                        f"plugin.affiliates.append_params.{domain}: {name!r} is the "
                        "click_param, which carries the click token; choose another name"
                    )
                if len(value) > MAX_PARAM_VALUE:
                    raise ValueError(
                        f"plugin.affiliates.append_params.{domain}.{name} is longer than "
                        f"{MAX_PARAM_VALUE} characters"
                    )
            table[domain] = dict(params)
        return table


def affiliate_settings(settings: Any) -> AffiliateSettings:
    """The instance's ``[plugin.affiliates]`` settings (defaults when not parsed)."""
    return plugin_section(settings, SECTION, AffiliateSettings)
