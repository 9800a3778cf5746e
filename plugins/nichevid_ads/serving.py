"""Choosing the ad a viewer gets, and counting what they watched and clicked.

Each web process keeps the running campaigns (with their cards and delivery) for
``refresh_seconds``. A campaign is served while its budget lasts, spread evenly
over its remaining days; a viewer gets at most ``per_viewer`` views of one campaign
and ``per_viewer_per_day`` views of all of them in a day. Every served ad carries a
token signed for its viewer: a view is counted once per token, when the page says
the ad stayed on screen, and a click marks the same row.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from nichevid import i18n
from nichevid.core.secrets import instance_secret
from nichevid.media.listing import Card, cards_by_ids
from nichevid_ads.campaigns import Delivery, bought_views, deliveries, today
from nichevid_ads.settings import ad_settings
from nichevid_ads.tables import AdHide, AdView, Campaign

_RUNNING = "ads.running"
TOKEN_MAX = 80


@dataclass(frozen=True)
class Running:
    """A campaign that may be served now, with what it needs on the page."""

    id: int
    kind: str
    advertiser: str
    cta_label: str
    languages: frozenset[str]
    per_viewer: int
    card: Card
    # Views still bought today: the budget left spread evenly over the days left.
    today_left: int


def _pace(row: dict[str, Any], delivered: Delivery, day: date) -> int:
    bought = bought_views(row)
    left = bought - (delivered.views - delivered.today)
    days = (row["ends_on"] - day).days + 1
    today_share = -(-left // max(days, 1))
    return max(0, min(today_share, bought - delivered.views + delivered.today) - delivered.today)


async def _load(resources: Any) -> list[Running]:
    day = today()
    rows = await Campaign.select().where(
        (Campaign.status == "active") & (Campaign.starts_on <= day) & (Campaign.ends_on >= day)
    )
    if not rows:
        return []
    delivered = await deliveries([int(r["id"]) for r in rows], day)
    promoted = [int(r["video"]) for r in rows if r["video"] is not None]
    cards = {card.id: card for card in await cards_by_ids(resources, promoted)}
    running = []
    for row in rows:
        card = cards.get(row["video"])
        left = _pace(row, delivered.get(int(row["id"]), Delivery()), day)
        if card is None or left <= 0:
            # The video was removed or made private, or the budget for today is spent.
            continue
        running.append(
            Running(
                id=int(row["id"]),
                kind=row["kind"],
                advertiser=row["advertiser"],
                cta_label=row["cta_label"],
                languages=frozenset(filter(None, row["languages"].split(","))),
                per_viewer=int(row["per_viewer"]),
                card=card,
                today_left=left,
            )
        )
    return running


async def running(resources: Any) -> list[Running]:
    """The campaigns this process may serve, read again every ``refresh_seconds``."""
    kept = resources.extra.get(_RUNNING)
    now = time.monotonic()
    if kept is None or kept[0] <= now:
        ttl = ad_settings(resources.settings).refresh_seconds
        kept = resources.extra[_RUNNING] = (now + ttl, await _load(resources))
    return list(kept[1])


def forget(resources: Any) -> None:
    """Read the campaigns again on the next request (after an operator changed one)."""
    resources.extra.pop(_RUNNING, None)


def _counted(resources: Any, campaign_id: int) -> None:
    kept = resources.extra.get(_RUNNING)
    if kept is None:
        return
    updated = [
        replace(r, today_left=r.today_left - 1) if r.id == campaign_id else r for r in kept[1]
    ]
    resources.extra[_RUNNING] = (kept[0], [r for r in updated if r.today_left > 0])


async def seen_today(viewer: str) -> dict[int, int]:
    """Views per campaign the viewer had today."""
    if not viewer:
        return {}
    rows = await AdView.raw(
        f"SELECT campaign, COUNT(*) AS n FROM {AdView._meta.tablename} "  # noqa: S608
        "WHERE viewer = {} AND day = {} GROUP BY campaign",
        viewer,
        today(),
    )
    return {int(r["campaign"]): int(r["n"]) for r in rows}


async def hidden(viewer: str) -> set[int]:
    """The campaigns ``viewer`` asked not to see again."""
    if not viewer:
        return set()
    rows = await AdHide.select(AdHide.campaign).where(AdHide.viewer == viewer)
    return {int(r["campaign"]) for r in rows}


async def hide(resources: Any, value: str, viewer: str) -> bool:
    """Never show ``viewer`` the campaign of the ad ``value`` again.

    Returns:
        Whether the token was made for ``viewer`` (nothing is hidden otherwise).
    """
    campaign_id = campaign_of(resources, value, viewer)
    if campaign_id is None or not viewer:
        return False
    if campaign_id not in await hidden(viewer):
        await AdHide.insert(AdHide(campaign=campaign_id, viewer=viewer))
    return True


async def choose(resources: Any, viewer: str, kind: str) -> Running | None:
    """The ad of ``kind`` to serve ``viewer`` now, or ``None``."""
    language = i18n.current()
    offer = [
        r
        for r in await running(resources)
        if r.kind == kind and (not r.languages or language in r.languages)
    ]
    if offer and (refused := await hidden(viewer)):
        offer = [r for r in offer if r.id not in refused]
    if not offer:
        return None
    seen = await seen_today(viewer)
    limit = ad_settings(resources.settings).per_viewer_per_day
    if sum(seen.values()) >= limit:
        return None
    if kind == "takeover" and seen.keys() & {r.id for r in offer}:
        # A takeover opens the app once a day.
        return None
    offer = [r for r in offer if seen.get(r.id, 0) < r.per_viewer]
    if not offer:
        return None
    return random.choices(offer, weights=[r.today_left for r in offer])[0]


def _signature(resources: Any, campaign_id: int, nonce: str, viewer: str) -> str:
    key = instance_secret(resources.settings).encode()
    message = f"ad:{campaign_id}.{nonce}.{viewer}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]


def token(resources: Any, campaign_id: int, viewer: str) -> str:
    """A token for one serving of ``campaign_id`` to ``viewer``."""
    nonce = secrets.token_hex(8)
    return f"{campaign_id}.{nonce}.{_signature(resources, campaign_id, nonce, viewer)}"


def campaign_of(resources: Any, value: str, viewer: str) -> int | None:
    """The campaign a token was made for, when it was made for ``viewer``; else ``None``."""
    if not isinstance(value, str) or len(value) > TOKEN_MAX:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
        return None
    campaign_id, nonce, signature = int(parts[0]), parts[1], parts[2]
    expected = _signature(resources, campaign_id, nonce, viewer)
    return campaign_id if hmac.compare_digest(expected, signature) else None


_UPSERT = (
    "INSERT INTO {table} (token, campaign, day, viewer, clicked, created_at) "
    "SELECT {{}}, id, {{}}, {{}}, {clicked}, CURRENT_TIMESTAMP FROM {campaigns} WHERE id = {{}} "
    "ON CONFLICT (token) DO {action}"
)
_VIEW = _UPSERT.format(
    table=AdView._meta.tablename,
    campaigns=Campaign._meta.tablename,
    clicked="FALSE",
    action="NOTHING",
)
_CLICK = _UPSERT.format(
    table=AdView._meta.tablename,
    campaigns=Campaign._meta.tablename,
    clicked="TRUE",
    action="UPDATE SET clicked = TRUE",
)


async def record_views(resources: Any, tokens: list[str], viewer: str) -> int:
    """Count each valid token's view once; returns how many tokens were valid."""
    day = today()
    valid = 0
    for value in dict.fromkeys(tokens):
        campaign_id = campaign_of(resources, value, viewer)
        if campaign_id is None:
            continue
        valid += 1
        rows = await AdView.raw(_VIEW + " RETURNING id", value, day, viewer, campaign_id)
        if rows:
            _counted(resources, campaign_id)
    return valid


async def record_click(resources: Any, value: str, viewer: str) -> str | None:
    """The address the clicked ad leads to; the click is counted when the token is the viewer's.

    Returns ``None`` when no campaign of that token exists.
    """
    parts = value.split(".", 1) if isinstance(value, str) else []
    if not parts or not parts[0].isdigit() or len(parts[0]) > 12:
        return None
    row = await Campaign.select(Campaign.cta_url).where(Campaign.id == int(parts[0])).first()
    if row is None:
        return None
    campaign_id = campaign_of(resources, value, viewer)
    if campaign_id is not None:
        await AdView.raw(_CLICK, value, today(), viewer, campaign_id)
    url: str = row["cta_url"]
    return url
