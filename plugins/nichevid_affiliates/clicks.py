"""Counting clicks on ``/go/<id>`` and building the address the viewer is sent to.

A click is counted once per viewer, link and day: one ``INSERT ... ON CONFLICT`` on the
unique ``dedupe`` key, which returns the click's token whether this click made the row
or an earlier one did, so concurrent clicks never race. The viewer is the member
(``u<id>``), else the browser's viewer cookie (``s<cookie>``, as for watch events), else
a keyed hash of the address and user agent (``h<hash>``), so visitors that keep no
cookie are counted without storing their address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from nichevid.core.secrets import instance_secret
from nichevid.feed.events_api import VIEWER_COOKIE
from nichevid_affiliates.checks import under
from nichevid_affiliates.settings import AffiliateSettings
from nichevid_affiliates.tables import Click

_COOKIE = re.compile(r"^[0-9a-f]{32}$")


def viewer_of(request: Any) -> str:
    """Who clicked: ``u<member id>``, ``s<viewer cookie>`` or ``h<keyed hash>``."""
    user = request.scope.get("user")
    if user is not None:
        return f"u{int(user.id)}"
    cookie = request.cookies.get(VIEWER_COOKIE, "")
    if _COOKIE.match(cookie):
        return f"s{cookie}"
    address = request.client.host if request.client else "unknown"
    agent = request.headers.get("user-agent", "")[:300]
    key = instance_secret(request.app.state.settings).encode()
    digest = hmac.new(key, f"aff-viewer:{address}:{agent}".encode(), hashlib.sha256)
    return f"h{digest.hexdigest()[:32]}"


async def record(
    link_id: int, viewer: str, member_id: int | None, today: date | None = None
) -> str:
    """Count ``viewer``'s click on link ``link_id`` once today; the click's token."""
    day = today or datetime.now(UTC).date()
    table = Click._meta.tablename
    rows = await Click.raw(
        f"INSERT INTO {table} (link, dedupe, token, member, day, created_at) "  # noqa: S608
        "VALUES ({}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (dedupe) DO UPDATE SET dedupe = excluded.dedupe RETURNING token",
        link_id,
        f"{link_id}:{viewer}:{day.isoformat()}",
        secrets.token_urlsafe(16),
        member_id,
        day,
        datetime.now(UTC),
    )
    return str(rows[0]["token"])


def outgoing(config: AffiliateSettings, url: str, domain: str, token: str) -> str:
    """``url`` with the operator's parameters for its domain and the click token.

    A parameter the creator's link already has keeps the creator's value unless
    ``override_params`` is on; the click token always replaces a creator's own
    ``click_param``.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    added: dict[str, str] = {}
    matched = under(domain, sorted(config.append_params, key=len, reverse=True))
    if matched is not None:
        added.update(config.append_params[matched])
    present = {name for name, _ in query}
    if config.override_params:
        query = [(name, value) for name, value in query if name not in added]
    else:
        added = {name: value for name, value in added.items() if name not in present}
    query = [(name, value) for name, value in query if name != config.click_param]
    query.extend(added.items())
    query.append((config.click_param, token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
