"""What a creator's product link must be: the rules, each with a message saying what to do."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from nichevid.i18n import gettext
from nichevid_affiliates.errors import AffiliateError
from nichevid_affiliates.settings import DOMAIN, AffiliateSettings

MAX_LABEL = 60
MAX_URL = 2000
# Spaces, control characters and characters a browser would not keep as they are.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f<>\"'`\\^{}|]")


@dataclass(frozen=True)
class LinkInput:
    """A link as the creator wrote it, checked: ``domain`` is its host, lower case."""

    label: str
    url: str
    domain: str


def under(domain: str, names: list[str]) -> str | None:
    """The name of ``names`` that ``domain`` is, or is a subdomain of; else ``None``."""
    for name in names:
        if domain == name or domain.endswith("." + name):
            return name
    return None


def check_url(config: AffiliateSettings, url: str, number: int) -> str:
    """The host of ``url`` (link ``number`` on the form) when the instance takes it.

    Raises:
        AffiliateError: Naming the link and what to change.
    """
    if len(url) > MAX_URL:
        raise AffiliateError(
            gettext(
                "The address of link %(n)s is longer than %(max)s characters; use the "
                "shop's short link.",
                n=number,
                max=MAX_URL,
            )
        )
    if _UNSAFE.search(url):
        raise AffiliateError(
            gettext(
                "The address of link %(n)s contains spaces or characters that are not allowed "
                "in a web address; paste it again as the shop gives it.",
                n=number,
            )
        )
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    schemes = ("https", "http") if config.allow_http else ("https",)
    if scheme not in schemes:
        if config.allow_http:
            message = gettext(
                "Link %(n)s must be a web address starting with https:// or http://.", n=number
            )
        else:
            message = gettext("Link %(n)s must be a web address starting with https://.", n=number)
        raise AffiliateError(message)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port, parts = -1, None
    if parts is None or port == -1 or not parts.netloc or not url[len(scheme) :].startswith("://"):
        raise AffiliateError(
            gettext("Link %(n)s is not a valid web address; paste it again.", n=number)
        )
    if "@" in parts.netloc:
        raise AffiliateError(
            gettext(
                "Link %(n)s contains a user name or password; remove the part before @.",
                n=number,
            )
        )
    host = (parts.hostname or "").rstrip(".")
    if not DOMAIN.match(host) or "." not in host:
        raise AffiliateError(
            gettext(
                "Link %(n)s has no valid domain name; write it like "
                "https://shop.example.com/product.",
                n=number,
            )
        )
    blocked = under(host, config.blocked_domains)
    if blocked:
        raise AffiliateError(
            gettext(
                "Links to %(domain)s are not allowed here; remove link %(n)s or link to "
                "another shop.",
                domain=blocked,
                n=number,
            )
        )
    if config.allowed_domains and not under(host, config.allowed_domains):
        raise AffiliateError(
            gettext(
                "Link %(n)s points at %(domain)s; this site takes links to %(allowed)s only.",
                n=number,
                domain=host,
                allowed=", ".join(config.allowed_domains),
            )
        )
    return host


def check_links(config: AffiliateSettings, pairs: list[tuple[str, str]]) -> list[LinkInput]:
    """The links of the form's ``(label, url)`` rows, checked; empty rows are left out.

    Raises:
        AffiliateError: The first problem, naming the link (rows count from 1).
    """
    found: list[LinkInput] = []
    seen: dict[str, int] = {}
    for number, (raw_label, raw_url) in enumerate(pairs, start=1):
        label, url = raw_label.strip(), raw_url.strip()
        if not label and not url:
            continue
        if not url:
            raise AffiliateError(
                gettext("Give link %(n)s an address, or clear its label.", n=number)
            )
        if not label:
            raise AffiliateError(
                gettext(
                    "Give link %(n)s a label (what the product is), 1 to %(max)s characters.",
                    n=number,
                    max=MAX_LABEL,
                )
            )
        if len(label) > MAX_LABEL:
            raise AffiliateError(
                gettext(
                    "The label of link %(n)s is longer than %(max)s characters; shorten it.",
                    n=number,
                    max=MAX_LABEL,
                )
            )
        domain = check_url(config, url, number)
        if url in seen:
            raise AffiliateError(
                gettext(
                    "Link %(n)s repeats link %(first)s; remove one of them.",
                    n=number,
                    first=seen[url],
                )
            )
        seen[url] = number
        found.append(LinkInput(label, url, domain))
    if len(found) > config.max_links_per_video:
        raise AffiliateError(
            gettext(
                "A video takes at most %(max)s product links; remove some.",
                max=config.max_links_per_video,
            )
        )
    return found
