"""Tables of the safety app. Other packages use :mod:`nichevid.safety.services`, not these.

Pairs that may exist once (a block, a mute, a day's screen time) are kept unique by
unique indexes made in the second migration, as the social app does.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
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


class Block(Table, tablename="nv_block"):
    """``blocker`` blocks ``blocked``: neither sees, follows or comments on the other."""

    id = Serial(primary_key=True)

    # The unique (blocker, blocked) index serves look-ups by blocker.
    blocker = ForeignKey(references=User, on_delete=OnDelete.cascade)
    blocked = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Mute(Table, tablename="nv_mute"):
    """``muter`` no longer sees the videos and comments of ``muted``; nobody is told."""

    id = Serial(primary_key=True)

    # The unique (muter, muted) index serves look-ups by muter.
    muter = ForeignKey(references=User, on_delete=OnDelete.cascade)
    muted = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class SafetyPrefs(Table, tablename="nv_safety_prefs"):
    """One member's comment controls and well-being choices (no row: the defaults).

    ``break_minutes`` and ``daily_limit_minutes`` are ``None`` for the instance's
    default and ``0`` when the member turned the notice off.
    """

    id = Serial(primary_key=True)

    member = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    who_may_comment = Varchar(length=16, default="everyone")
    comment_keywords = JSON(default="[]")
    hide_like_counts = Boolean(default=False)
    # Whether new videos of the members they follow are announced to them.
    new_video_notices = Boolean(default=True)
    # Notification kinds the member is not told of (``nichevid.safety.prefs.QUIETABLE``).
    quiet_notices = JSON(default="[]")
    # Whether unseen notifications are summed up by e-mail (``nichevid.social.digest``),
    # and when the last such mail went.
    email_digest = Boolean(default=True)
    digest_sent_at = Timestamptz(null=True, default=None)
    break_minutes = Integer(null=True, default=None)
    daily_limit_minutes = Integer(null=True, default=None)
    # What the member says is their date of birth: videos for adults need it.
    birth_date = Date(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class ScreenTime(Table, tablename="nv_screen_time"):
    """Milliseconds of video one member watched in the feed on one UTC day."""

    id = Serial(primary_key=True)

    # The unique (member, day) index serves look-ups by member.
    member = ForeignKey(references=User, on_delete=OnDelete.cascade)
    day = Varchar(length=10)
    watched_ms = BigInt(default=0)
