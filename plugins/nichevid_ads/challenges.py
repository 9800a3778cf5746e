"""Sponsored hashtag challenges: a brand's invitation to post with a tag, for a few days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from piccolo.columns import Column

from nichevid.i18n import gettext
from nichevid.social.hashtags import tag_name
from nichevid.social.listing import tagged_count
from nichevid_ads import forms
from nichevid_ads.campaigns import today
from nichevid_ads.errors import AdError
from nichevid_ads.tables import Challenge

DESCRIPTION_MAX = 1000


async def listed() -> list[dict[str, Any]]:
    """Every challenge, newest first."""
    rows: list[dict[str, Any]] = await Challenge.select().order_by(Challenge.id, ascending=False)
    return rows


async def running() -> list[dict[str, Any]]:
    """The challenges of today, ending soonest first."""
    day = today()
    rows: list[dict[str, Any]] = (
        await Challenge.select()
        .where(
            (Challenge.ended == False)  # noqa: E712 - a SQL comparison
            & (Challenge.starts_on <= day)
            & (Challenge.ends_on >= day)
        )
        .order_by(Challenge.ends_on)
    )
    return rows


async def of_tag(tag: str) -> dict[str, Any] | None:
    """The challenge running today for ``#tag``, or ``None``."""
    return next((c for c in await running() if c["tag"] == tag), None)


def _window(challenge: dict[str, Any]) -> tuple[datetime, datetime]:
    start = datetime.combine(challenge["starts_on"], time(), tzinfo=UTC)
    end = datetime.combine(challenge["ends_on"] + timedelta(days=1), time(), tzinfo=UTC)
    return start, end


async def entries(challenges: list[dict[str, Any]]) -> dict[int, int]:
    """How many open videos joined each challenge (published with its tag on its days)."""
    return {int(c["id"]): await tagged_count(c["tag"], *_window(c)) for c in challenges}


async def save(form: dict[str, Any], challenge_id: int | None = None) -> int:
    """Create a challenge from a submitted form, or change challenge ``challenge_id``.

    Raises:
        AdError: A field says what to change; nothing is written then.
    """
    old = await get(challenge_id) if challenge_id is not None else None
    tag = tag_name(form.get("tag", ""))
    if tag is None:
        raise AdError(
            gettext("Give the hashtag as letters, digits or _ (up to 64), like #bouldering.")
        )
    sponsor = forms.text(form.get("sponsor", ""), 80, gettext("the sponsor"))
    title = forms.text(form.get("title", ""), 80, gettext("the title"))
    description = forms.text(
        form.get("description", "").replace("\r\n", "\n"),
        DESCRIPTION_MAX,
        gettext("the description"),
        required=False,
    )
    prize = forms.text(form.get("prize", ""), 200, gettext("the prize"), required=False)
    cta_url = forms.link(form.get("cta_url", ""), required=False)
    cta_label = forms.text(
        form.get("cta_label", ""), 30, gettext("the button's words"), required=bool(cta_url)
    )
    first, last = forms.dates(
        form.get("starts_on", ""), form.get("ends_on", ""), today(), new=old is None
    )
    clash = Challenge.select(Challenge.id).where(
        (Challenge.tag == tag)
        & (Challenge.ended == False)  # noqa: E712 - a SQL comparison
        & (Challenge.starts_on <= last)
        & (Challenge.ends_on >= first)
    )
    if challenge_id is not None:
        clash = clash.where(Challenge.id != challenge_id)
    if await clash.first() is not None:
        raise AdError(
            gettext(
                "#%(tag)s already has a sponsored challenge on some of these days; "
                "choose other days or end that one first.",
                tag=tag,
            ),
            409,
        )
    values: dict[str, Any] = {
        "tag": tag,
        "sponsor": sponsor,
        "title": title,
        "description": description,
        "prize": prize,
        "cta_label": cta_label if cta_url else "",
        "cta_url": cta_url,
        "starts_on": first,
        "ends_on": last,
    }
    if old is None:
        row = Challenge(**values)
        await row.save()
        return int(row.id)
    await Challenge.update(cast("dict[Column | str, Any]", values)).where(Challenge.id == old["id"])
    return int(old["id"])


async def get(challenge_id: int) -> dict[str, Any]:
    """One challenge; 404 when there is none."""
    row = await Challenge.select().where(Challenge.id == challenge_id).first()
    if row is None:
        raise AdError(gettext("There is no challenge %(id)s.", id=challenge_id), 404)
    return row


async def end(challenge_id: int) -> None:
    """End a challenge now: it leaves the hashtag page and the list."""
    await get(challenge_id)
    await Challenge.update({Challenge.ended: True}).where(Challenge.id == challenge_id)
