"""Tables of the ads plugin. Other code uses its services, not these.

A :class:`Campaign` promotes one existing public video; each time a viewer really
watches it for a moment an :class:`AdView` row is written, once per served ad
(its signed token), and a click on the call to action marks that row. Spend is
never stored: it is the views times the price per thousand, capped by the budget.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.media.tables import Video

KINDS = ("in_feed", "takeover")
STATUSES = ("active", "paused", "ended")


class Campaign(Table, tablename="nv_ad_campaign"):
    """One advertiser's promotion of one video, with dates, a budget and a price."""

    id = Serial(primary_key=True)

    name = Varchar(length=80)
    # Shown to viewers as "Sponsored · <advertiser>".
    advertiser = Varchar(length=80)
    kind = Varchar(length=16, default="in_feed")
    video = ForeignKey(references=Video, on_delete=OnDelete.set_null, null=True)
    cta_label = Varchar(length=30)
    cta_url = Varchar(length=2000)
    starts_on = Date()
    ends_on = Date()
    currency = Varchar(length=3)
    # In the currency's minor unit: 50000 is 500.00 EUR.
    budget = Integer()
    # Price of a thousand views, in minor units.
    cpm = Integer()
    # Views of this campaign one viewer gets in a day, at most.
    per_viewer = Integer(default=3)
    # Comma-separated interface languages it is shown in; empty: all.
    languages = Varchar(length=100, default="")
    status = Varchar(length=16, default="active", index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AdView(Table, tablename="nv_ad_view"):
    """One served ad a viewer watched (and maybe clicked), written once per token."""

    id = Serial(primary_key=True)

    token = Varchar(length=80, unique=True, index=True)
    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.cascade, index=True)
    day = Date(index=True)
    # ``u<id>`` for a member, the browser's viewer id otherwise; ``""`` once erased.
    viewer = Varchar(length=40, index=True)
    clicked = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class AdHide(Table, tablename="nv_ad_hide"):
    """A viewer asked not to see a campaign again."""

    id = Serial(primary_key=True)

    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.cascade)
    # As :attr:`AdView.viewer`.
    viewer = Varchar(length=40, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Challenge(Table, tablename="nv_ad_challenge"):
    """A sponsored hashtag challenge: a brand invites the community to post with a tag."""

    id = Serial(primary_key=True)

    tag = Varchar(length=100, index=True)
    sponsor = Varchar(length=80)
    title = Varchar(length=80)
    description = Text(default="")
    prize = Varchar(length=200, default="")
    cta_label = Varchar(length=30, default="")
    cta_url = Varchar(length=2000, default="")
    starts_on = Date()
    ends_on = Date()
    ended = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
