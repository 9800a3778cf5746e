"""Tables of the accounts app. Other packages use :mod:`nichevid.accounts.services`, not these."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
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

ROLES = ("member", "creator", "moderator", "admin")


class User(Table, tablename="nv_user"):
    """A community member; ``role`` is one of :data:`ROLES`."""

    id = Serial(primary_key=True)

    username = Varchar(length=32, unique=True, index=True)
    email = Varchar(length=254, unique=True, index=True)
    password_hash = Varchar(length=255)
    role = Varchar(length=16, default="member", index=True)
    display_name = Varchar(length=64, default="")
    bio = Text(default="")
    avatar_key = Varchar(length=255, default="")
    locale = Varchar(length=16, default="")
    interests = JSON(default="[]")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ApiToken(Table, tablename="nv_api_token"):
    """A personal API token; only its SHA-256 is stored."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=64)
    token_hash = Varchar(length=64, unique=True, index=True)
    prefix = Varchar(length=12, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class PasswordReset(Table, tablename="nv_password_reset"):
    """A single-use password reset token; only its SHA-256 is stored."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class TwoFactor(Table, tablename="nv_two_factor"):
    """A member's authenticator secret (sealed, see :mod:`nichevid.accounts.twofactor`).

    ``enabled_at`` is empty while the member has not confirmed a first code yet;
    ``last_step`` is the time step of the last code accepted, so each code works once.
    """

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    secret = Varchar(length=255)
    enabled_at = Timestamptz(null=True, default=None)
    last_step = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class RecoveryCode(Table, tablename="nv_recovery_code"):
    """A single-use recovery code of a member with two-factor authentication; only its
    SHA-256 is stored."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64)
    used_at = Timestamptz(null=True, default=None)


class Invitation(Table, tablename="nv_invitation"):
    """A sign-up link, ``/signup?invite=<code>`` (see :mod:`nichevid.accounts.invitations`)."""

    id = Serial(primary_key=True)

    code = Varchar(length=32, unique=True, index=True)
    inviter = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    note = Varchar(length=100, default="")
    max_uses = Integer(default=1)
    uses = Integer(default=0)
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class InvitationUse(Table, tablename="nv_invitation_use"):
    """The account that signed up with an invitation."""

    id = Serial(primary_key=True)

    invitation = ForeignKey(references=Invitation, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CreatorRequest(Table, tablename="nv_creator_request"):
    """A member asking to become a creator (``accounts.creator_access = "request"``)."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    message = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    approved = Boolean(null=True, default=None)


class EmailCheck(Table, tablename="nv_email_check"):
    """A link mailed to prove an address is the member's (see :mod:`nichevid.accounts.emails`).

    ``purpose`` is ``signup`` (the address an account was made with) or ``change`` (a
    new address, which replaces the old one once confirmed). Only the SHA-256 of the
    link's token is kept.
    """

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254)
    purpose = Varchar(length=8, default="signup")
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
