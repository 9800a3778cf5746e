"""Tables of the gifts plugin. Other code uses its services, not these.

Money lives in the ledger; a :class:`Gift` row records what was sent, to whom and
under which ledger transaction. When an account is erased its gifts stay (without
the link to it), like its ledger accounts stay under a pseudonym.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
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

KINDS = ("gift", "donation")
STATUSES = ("sent", "reversed")


class GiftItem(Table, tablename="nv_gift_item"):
    """One gift of the catalogue; retired gifts stay for the records of past sends."""

    id = Serial(primary_key=True)

    key = Varchar(length=32, unique=True, index=True)
    name = Varchar(length=64)
    coins = Integer()
    # A vendored icon (see :data:`nichevid_gifts.catalogue.ICONS`).
    icon = Varchar(length=32)
    # A CSS animation (see :data:`nichevid_gifts.catalogue.ANIMATIONS`).
    animation = Varchar(length=16)
    position = Integer(default=0)
    active = Boolean(default=True)


class Gift(Table, tablename="nv_gift"):
    """One send: ``count`` times one gift, from a member to a creator."""

    id = Serial(primary_key=True)

    # The id the sender's page made for this send; a retry carries the same.
    send_id = Varchar(length=64, unique=True, index=True)
    sender = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    recipient = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    # The video it was sent from (none when sent from a profile).
    video = ForeignKey(references=Video, on_delete=OnDelete.set_null, null=True)
    # The gift as it was when sent, so later catalogue edits change no record.
    item_key = Varchar(length=32)
    item_name = Varchar(length=64)
    coins_each = Integer()
    quantity = Integer()
    total = Integer()
    kind = Varchar(length=16, default="gift")
    transaction_id = Integer()
    status = Varchar(length=16, default="sent", index=True)
    reversal_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class Nonprofit(Table, tablename="nv_gift_nonprofit"):
    """An account the operator marked as a nonprofit: gifts to it are donations."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    legal_name = Varchar(length=120)
    registration = Varchar(length=64, default="")
    marked_at = Timestamptz(default=TimestamptzNow())


class Receipt(Table, tablename="nv_gift_receipt"):
    """The receipt of one donation, as issued (names as they were that day)."""

    id = Serial(primary_key=True)

    number = Varchar(length=32, unique=True, index=True)
    gift = ForeignKey(references=Gift, on_delete=OnDelete.cascade, unique=True)
    donor = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    donor_name = Varchar(length=64)
    recipient_name = Varchar(length=120)
    registration = Varchar(length=64, default="")
    coins = Integer()
    issued_at = Timestamptz(default=TimestamptzNow())
    # Set when the donation was reversed: the receipt no longer stands.
    void = Boolean(default=False)


class CreatorChoice(Table, tablename="nv_gift_creator"):
    """What a creator chose about gifts: whether their profile lists top gifters."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    show_top_gifters = Boolean(default=False)
