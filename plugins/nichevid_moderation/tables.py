"""Tables of the moderation plugin. Other code uses its services, not these.

The audit log (:class:`AuditEntry`) names people only by pseudonym: :class:`Actor`
maps a pseudonym to the account while the account exists, and goes with it, so the
log itself never has to change (database triggers refuse any UPDATE or DELETE of it).
"""

from __future__ import annotations

from piccolo.columns import (
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

TARGET_KINDS = ("video", "comment", "playlist", "account")
REPORT_STATUSES = ("open", "actioned", "dismissed")


class Report(Table, tablename="nv_mod_report"):
    """One report of a video, comment, playlist or account by one reporter."""

    id = Serial(primary_key=True)

    # Null for an anonymous report, or once the reporter's account is deleted.
    reporter = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    # "u<user id>" or "a<hash of the address>": one report per reporter and item.
    reporter_key = Varchar(length=80)
    target_kind = Varchar(length=16)
    target_id = Integer()
    # The account the item belongs to (the creator, the comment's author, the account).
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    category = Varchar(length=32)
    text = Text(default="")
    status = Varchar(length=16, default="open", index=True)
    # What the reporter is told became of it.
    outcome = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    decided_at = Timestamptz(null=True, default=None)


class Actor(Table, tablename="nv_mod_actor"):
    """Who a pseudonym in the audit log stands for, while the account exists."""

    id = Serial(primary_key=True)

    pseudonym = Varchar(length=32, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True)


class AuditEntry(Table, tablename="nv_mod_audit"):
    """One moderation step: who did what to which item, when and why. Append-only."""

    id = Serial(primary_key=True)

    actor = Varchar(length=32)
    action = Varchar(length=32, index=True)
    target_kind = Varchar(length=16)
    target_id = Integer()
    # The account affected (pseudonym), e.g. the creator of a removed video.
    subject = Varchar(length=32, default="", index=True)
    reason = Text(default="")
    # Report category the decision answered (statistics by reason).
    category = Varchar(length=32, default="")
    # End of a suspension or restriction, if it has one.
    until = Timestamptz(null=True, default=None)
    # The entry this one answers (an appeal decision names the removal).
    refers_to = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)

    @classmethod
    async def empty_for_tests(cls) -> None:
        """Empty the log between test cases; the database refuses any other deletion."""
        from nichevid_moderation.guard import empty_guarded

        await empty_guarded(cls._meta.db)


class Restriction(Table, tablename="nv_mod_restriction"):
    """A standing measure: a video's limited reach or age limit, an account's suspension."""

    id = Serial(primary_key=True)

    kind = Varchar(length=16)  # limit_reach, age_restrict, suspend, ban
    target_kind = Varchar(length=16)
    target_id = Integer(index=True)
    until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    lifted_at = Timestamptz(null=True, default=None)


class Appeal(Table, tablename="nv_mod_appeal"):
    """A creator's appeal against one removal (one per removal)."""

    id = Serial(primary_key=True)

    removal = Integer(unique=True)  # the AuditEntry of the removal
    appellant = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    target_kind = Varchar(length=16)
    target_id = Integer()
    text = Text(default="")
    status = Varchar(length=16, default="open", index=True)  # open, upheld, rejected
    statement = Text(default="")
    decided_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
