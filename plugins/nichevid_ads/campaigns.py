"""Campaigns: what operators book for advertisers, checked, with their delivery figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from babel.numbers import list_currencies
from piccolo.columns import Column

from nichevid import i18n
from nichevid.i18n import gettext
from nichevid.media.services import get_video
from nichevid.payments.checkout import CheckoutError, minor_units
from nichevid_ads import forms
from nichevid_ads.errors import AdError
from nichevid_ads.tables import KINDS, STATUSES, AdView, Campaign

MOST_PER_VIEWER = 100


def today() -> date:
    """The current day, in UTC, by which campaigns start, end and are paced."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Delivery:
    """What a campaign delivered: views, clicks, views today, and what they cost."""

    views: int = 0
    clicks: int = 0
    today: int = 0

    def spent(self, campaign: dict[str, Any]) -> int:
        """Views times the price per thousand, never more than the budget."""
        return min(int(campaign["budget"]), self.views * int(campaign["cpm"]) // 1000)

    def click_rate(self) -> float:
        """Clicks per view, 0 without views."""
        return self.clicks / self.views if self.views else 0.0


def bought_views(campaign: dict[str, Any]) -> int:
    """How many views the budget pays for at the campaign's price."""
    return -(-int(campaign["budget"]) * 1000 // int(campaign["cpm"]))


async def deliveries(ids: list[int], day: date | None = None) -> dict[int, Delivery]:
    """The delivery of each campaign in ``ids`` (one statement)."""
    if not ids:
        return {}
    table = AdView._meta.tablename
    marks = ", ".join("{}" for _ in ids)
    rows = await AdView.raw(
        f"SELECT campaign, COUNT(*) AS views, "  # noqa: S608 - only the table name
        f"SUM(CASE WHEN clicked THEN 1 ELSE 0 END) AS clicks, "
        f"SUM(CASE WHEN day = {{}} THEN 1 ELSE 0 END) AS today "
        f"FROM {table} WHERE campaign IN ({marks}) GROUP BY campaign",
        day or today(),
        *ids,
    )
    return {
        int(r["campaign"]): Delivery(int(r["views"]), int(r["clicks"] or 0), int(r["today"] or 0))
        for r in rows
    }


async def by_day(campaign_id: int) -> list[dict[str, Any]]:
    """Views and clicks of one campaign per day, oldest first."""
    table = AdView._meta.tablename
    rows = await AdView.raw(
        f"SELECT day, COUNT(*) AS views, "  # noqa: S608 - only the table name
        f"SUM(CASE WHEN clicked THEN 1 ELSE 0 END) AS clicks "
        f"FROM {table} WHERE campaign = {{}} GROUP BY day ORDER BY day",
        campaign_id,
    )
    return [
        {"day": _as_date(r["day"]), "views": int(r["views"]), "clicks": int(r["clicks"] or 0)}
        for r in rows
    ]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def listed() -> list[dict[str, Any]]:
    """Every campaign, newest first, with the slug of its video."""
    rows: list[dict[str, Any]] = await Campaign.select(
        *Campaign.all_columns(), Campaign.video.slug.as_alias("slug")
    ).order_by(Campaign.id, ascending=False)
    return rows


async def get(campaign_id: int) -> dict[str, Any]:
    """One campaign with the slug of its video; 404 when there is none."""
    row = (
        await Campaign.select(*Campaign.all_columns(), Campaign.video.slug.as_alias("slug"))
        .where(Campaign.id == campaign_id)
        .first()
    )
    if row is None:
        raise AdError(gettext("There is no campaign %(id)s.", id=campaign_id), 404)
    return row


async def _promoted_video(slug: str) -> int:
    """The id of the video a campaign may promote: ready, public, for every age."""
    video = await get_video(slug=slug.strip()) if slug.strip() else None
    if (
        video is None
        or video.status != "ready"
        or video.visibility != "public"
        or video.age_restricted
    ):
        raise AdError(
            gettext(
                "Give the address name of a ready public video that is not age-restricted "
                "(the part after /v/ in its link)."
            )
        )
    return int(video.id)


def _amount(value: str, currency: str, what: str) -> int:
    try:
        return minor_units(value, currency)
    except CheckoutError as exc:
        raise AdError(f"{what}: {exc}") from None


def _languages(values: list[str]) -> str:
    chosen = [v for v in values if v]
    unknown = [v for v in chosen if v not in i18n.LANGUAGES]
    if unknown:
        raise AdError(gettext("Choose the languages among those offered."))
    return ",".join(sorted(set(chosen)))


async def _check_takeover_days(first: date, last: date, keep: int | None) -> None:
    """Only one brand takeover runs on any day: refuse days another one holds."""
    query = Campaign.select(Campaign.id, Campaign.name).where(
        (Campaign.kind == "takeover")
        & (Campaign.status != "ended")
        & (Campaign.starts_on <= last)
        & (Campaign.ends_on >= first)
    )
    if keep is not None:
        query = query.where(Campaign.id != keep)
    other = await query.first()
    if other is not None:
        raise AdError(
            gettext(
                "The takeover %(name)s already holds some of these days; one takeover runs "
                "per day. Choose other days or end that one first.",
                name=other["name"],
            ),
            409,
        )


async def save(form: dict[str, Any], campaign_id: int | None = None) -> int:
    """Create a campaign from a submitted form, or change campaign ``campaign_id``.

    Every field is checked before anything is written, so a refused change keeps
    the campaign as it was.

    Returns:
        The campaign's id.

    Raises:
        AdError: A field says what to change.
    """
    old = await get(campaign_id) if campaign_id is not None else None
    name = forms.text(form.get("name", ""), 80, gettext("the campaign's name"))
    advertiser = forms.text(form.get("advertiser", ""), 80, gettext("the advertiser"))
    kind = form.get("kind", "in_feed")
    if kind not in KINDS:
        raise AdError(gettext("Choose in-feed or takeover."))
    video = await _promoted_video(form.get("video", ""))
    cta_label = forms.text(form.get("cta_label", ""), 30, gettext("the button's words"))
    cta_url = forms.link(form.get("cta_url", ""))
    first, last = forms.dates(
        form.get("starts_on", ""), form.get("ends_on", ""), today(), new=old is None
    )
    currency = form.get("currency", "").strip().upper()
    if currency not in list_currencies():
        raise AdError(gettext("Give the currency as an ISO 4217 code such as EUR or USD."))
    budget = _amount(form.get("budget", ""), currency, gettext("Budget"))
    cpm = _amount(form.get("cpm", ""), currency, gettext("Price per thousand views"))
    try:
        per_viewer = int(form.get("per_viewer", "3"))
    except ValueError:
        per_viewer = 0
    if not 1 <= per_viewer <= MOST_PER_VIEWER:
        raise AdError(
            gettext(
                "Views per viewer and day is a whole number from 1 to %(most)s.",
                most=MOST_PER_VIEWER,
            )
        )
    languages = _languages(form.get("languages", []))
    if old is not None and (old["currency"] != currency):
        delivered = (await deliveries([int(old["id"])])).get(int(old["id"]), Delivery())
        if delivered.views:
            raise AdError(gettext("The campaign has views already; its currency stays."))
    if kind == "takeover":
        await _check_takeover_days(first, last, campaign_id)
    values: dict[str, Any] = {
        "name": name,
        "advertiser": advertiser,
        "kind": kind,
        "video": video,
        "cta_label": cta_label,
        "cta_url": cta_url,
        "starts_on": first,
        "ends_on": last,
        "currency": currency,
        "budget": budget,
        "cpm": cpm,
        "per_viewer": per_viewer,
        "languages": languages,
    }
    if old is None:
        row = Campaign(**values)
        await row.save()
        return int(row.id)
    await Campaign.update(cast("dict[Column | str, Any]", values)).where(Campaign.id == old["id"])
    return int(old["id"])


async def set_status(campaign_id: int, status: str) -> None:
    """Pause, resume or end a campaign; an ended one stays ended."""
    if status not in STATUSES:
        raise AdError(gettext("Choose pause, resume or end."))
    old = await get(campaign_id)
    if old["status"] == "ended":
        raise AdError(gettext("The campaign has ended; book a new one instead."), 409)
    if status == "active" and old["kind"] == "takeover":
        await _check_takeover_days(old["starts_on"], old["ends_on"], campaign_id)
    await Campaign.update({Campaign.status: status}).where(Campaign.id == campaign_id)
