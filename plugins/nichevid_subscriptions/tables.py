"""Tables of the subscriptions plugin. Other code uses its services, not these tables.

Times of the paid period are Unix seconds (``BigInt``), as providers send them, so
"the later of two period ends" is one comparison on both databases.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
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

from nichevid.accounts.tables import User
from nichevid.media.tables import Video


class Tier(Table, tablename="nv_sub_tier"):
    """A level of subscription a creator offers; a higher level includes the lower ones."""

    id = Serial(primary_key=True)
    creator = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    level = Integer()
    name = Varchar(length=60)
    # Monthly price in minor units of ``currency``.
    price = BigInt()
    currency = Varchar(length=8)
    perks = Text(default="")
    badge = Varchar(length=24)
    # Retired tiers take no new subscribers; running subscriptions keep them.
    retired = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Subscription(Table, tablename="nv_sub_subscription"):
    """A member's subscription to a creator's tier, as the provider's events leave it."""

    id = Serial(primary_key=True)
    member = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    creator = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    tier = ForeignKey(references=Tier, on_delete=OnDelete.cascade, index=True)
    provider = Varchar(length=64)
    # The checkout the member subscribed with; every event of the provider names it.
    checkout_token = Varchar(length=64)
    # The provider's id of the subscription (needed to cancel it there).
    provider_ref = Varchar(length=200, default="")
    # What the member pays each month, fixed when they subscribed.
    price = BigInt()
    currency = Varchar(length=8)
    # pending, trialing, active, past_due, cancelled, refunded, ended
    status = Varchar(length=16, default="pending")
    # End of the paid (or trial) period, Unix seconds; 0 before the first.
    period_end = BigInt(default=0)
    # After a failed payment: access until then, Unix seconds.
    grace_until = BigInt(default=0)
    # End of the latest period refunded or charged back, Unix seconds (0: none). While
    # it is not older than ``period_end`` the subscription gives no access.
    refunded_until = BigInt(default=0)
    # A change of tier the member asked for and the provider has not applied yet: the
    # tier's id and its monthly price (0: none). A higher tier applies once the provider
    # reports the change, a lower one from the next renewal at its price.
    next_tier = Integer(default=0)
    next_price = BigInt(default=0)
    # Until when the member may watch, Unix seconds, worked out from the above and the
    # settings whenever they change (see ``access.access_until``).
    access_until = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class VideoTier(Table, tablename="nv_sub_video_tier"):
    """The lowest tier that may watch a subscribers-only video (none: every tier)."""

    id = Serial(primary_key=True)
    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, unique=True)
    tier = ForeignKey(references=Tier, on_delete=OnDelete.cascade, index=True)
