"""Tables of the affiliates plugin. Other code uses its services, not these.

A link a creator removes or replaces is kept, marked ``removed_at``: its clicks and
the sales reported for them still count, and a sale reported days after the click is
still booked. Money lives in the ledger; a :class:`Conversion` records which ledger
transaction booked a network's order.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nichevid.accounts.tables import User
from nichevid.media.tables import Video

STATUSES = ("booked", "reversed")


class Link(Table, tablename="nv_aff_link"):
    """One product link of a video, as its creator wrote it."""

    id = Serial(primary_key=True)

    video = ForeignKey(references=Video, on_delete=OnDelete.cascade, index=True)
    # The creator (the video's owner when the link was saved).
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    label = Varchar(length=60)
    url = Varchar(length=2000)
    # The link's host name, lower case, for the operator's per-domain figures.
    domain = Varchar(length=253, index=True)
    # Set by an operator: the link answers 404 and leaves the cards.
    disabled = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    # Set when the creator removed the link (an edit of the video's links).
    removed_at = Timestamptz(null=True, default=None, index=True)


class Click(Table, tablename="nv_aff_click"):
    """One viewer's clicks on one link on one day (counted once)."""

    id = Serial(primary_key=True)

    link = ForeignKey(references=Link, on_delete=OnDelete.cascade, index=True)
    # ``<link id>:<viewer>:<day>``: the unique key that counts a viewer once a day.
    dedupe = Varchar(length=120, unique=True)
    # The token sent to the network (``click_param``) and echoed in its postbacks.
    token = Varchar(length=32, unique=True, index=True)
    # The member who clicked (none for visitors, and once their account is erased).
    member = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    day = Date()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class Conversion(Table, tablename="nv_aff_conversion"):
    """A sale a network reported for a click, and the ledger transaction that booked it."""

    id = Serial(primary_key=True)

    # The network's order id: one order is booked once.
    order_ref = Varchar(length=100, unique=True, index=True)
    click = ForeignKey(references=Click, on_delete=OnDelete.set_null, null=True, index=True)
    link = ForeignKey(references=Link, on_delete=OnDelete.set_null, null=True, index=True)
    creator = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    # The commission the network pays, in minor units of ``currency``.
    amount = BigInt()
    currency = Varchar(length=3)
    creator_share = BigInt()
    platform_share = BigInt()
    transaction_id = Integer()
    status = Varchar(length=16, default="booked", index=True)
    reversal_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
