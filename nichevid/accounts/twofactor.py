"""Two-factor authentication: time-based codes from an authenticator app (TOTP, RFC 6238).

A member turns it on in two steps: :func:`begin` makes a secret (shown as a QR code
and as text), and :func:`confirm` turns it on once a code from the app matches, and
hands out ten single-use recovery codes. From then on logging in takes the password
and then :func:`verify`: a current six-digit code, accepted once (a code seen again,
even within its 30 seconds, is refused), or an unused recovery code.

The secret is kept sealed (AES-GCM, under a key derived from the instance secret), so
a copy of the database alone does not give codes away; recovery codes are kept as
SHA-256 digests only. pyotp computes the codes and segno draws the QR code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from markupsafe import Markup, escape

from nichevid.accounts.tables import RecoveryCode, TwoFactor, User
from nichevid.core.secrets import instance_secret
from nichevid.i18n import gettext

RECOVERY_CODES = 10
# Codes of the step before and after the current one are accepted: clocks drift.
DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class TwoFactorError(ValueError):
    """What the member asked cannot be done; the message says what to do instead."""


@dataclass(frozen=True)
class State:
    """A member's two-factor set-up as their settings page shows it."""

    enabled: bool
    enabled_at: datetime | None
    pending: bool
    recovery_left: int


def _key(settings: Any) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"nichevid two-factor secret"
    ).derive(instance_secret(settings).encode())


def seal(settings: Any, secret: str) -> str:
    """``secret`` encrypted under the instance's key, as text for the database."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(settings)).encrypt(nonce, secret.encode(), b"totp")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Any, stored: str) -> str | None:
    """The secret :func:`seal` kept, or ``None`` when the instance secret has changed."""
    try:
        raw = base64.urlsafe_b64decode(stored.encode())
        return AESGCM(_key(settings)).decrypt(raw[:12], raw[12:], b"totp").decode()
    except (InvalidTag, ValueError):
        return None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def new_recovery_code() -> str:
    """Ten letters and digits people can read aloud, written ``xxxxx-xxxxx``."""
    body = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{body[:5]}-{body[5:]}"


async def _row(user: User) -> TwoFactor | None:
    return await TwoFactor.objects().where(TwoFactor.user == user.id).first()


async def is_on(user: User) -> bool:
    """Whether logging in as ``user`` takes a code."""
    return bool(
        await TwoFactor.exists().where(
            (TwoFactor.user == user.id) & TwoFactor.enabled_at.is_not_null()
        )
    )


async def state(user: User) -> State:
    """What the settings page shows."""
    row = await _row(user)
    left = await RecoveryCode.count().where(
        (RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()
    )
    enabled = row is not None and row.enabled_at is not None
    return State(
        enabled=enabled,
        enabled_at=row.enabled_at if enabled and row is not None else None,
        pending=row is not None and not enabled,
        recovery_left=left if enabled else 0,
    )


async def begin(settings: Any, user: User) -> str:
    """A new secret for ``user``, kept until confirmed; returns it (base32).

    Raises:
        TwoFactorError: Two-factor authentication is already on.
    """
    row = await _row(user)
    if row is not None and row.enabled_at is not None:
        raise TwoFactorError(gettext("Two-factor authentication is already on."))
    secret = pyotp.random_base32()
    if row is None:
        await TwoFactor(user=user.id, secret=seal(settings, secret)).save()
    else:
        await TwoFactor.update({TwoFactor.secret: seal(settings, secret)}).where(
            TwoFactor.id == row.id
        )
    return secret


async def pending_secret(settings: Any, user: User) -> str | None:
    """The secret waiting for confirmation, if any (and readable)."""
    row = await _row(user)
    if row is None or row.enabled_at is not None:
        return None
    return unseal(settings, row.secret)


def provisioning_uri(settings: Any, user: User, secret: str) -> str:
    """The ``otpauth://`` address authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=settings.site_name)


def qr_code(uri: str, label: str) -> Markup:
    """``uri`` as an inline SVG QR code with an accessible name."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="nv-qr", title=label
    )
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return Markup(named)  # noqa: S704 - segno escapes its title, the label is escaped here


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code is ``code`` (within the drift allowed), else ``None``."""
    totp = pyotp.TOTP(secret)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return totp.timecode(now) + offset
    return None


def _codes_error() -> TwoFactorError:
    return TwoFactorError(
        gettext(
            "That code is not right. Enter the 6 digits your authenticator app shows now, "
            "or one of your recovery codes."
        )
    )


async def confirm(settings: Any, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn two-factor authentication on with a first code; return the recovery codes.

    Raises:
        TwoFactorError: Nothing to confirm, or the code does not match.
    """
    row = await _row(user)
    if row is None or row.enabled_at is not None:
        raise TwoFactorError(gettext("Start again: choose “Turn on” to get a new QR code."))
    secret = unseal(settings, row.secret)
    cleaned = _clean(code)
    step = _matching_step(secret, cleaned, now or datetime.now(UTC)) if secret else None
    if step is None or not cleaned.isdigit():
        raise _codes_error()
    await TwoFactor.update(
        {TwoFactor.enabled_at: datetime.now(UTC), TwoFactor.last_step: step}
    ).where(TwoFactor.id == row.id)
    return await new_recovery_codes(user)


async def new_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes with ten new ones; return them (shown once)."""
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    await RecoveryCode.delete().where(RecoveryCode.user == user.id)
    await RecoveryCode.insert(
        *[RecoveryCode(user=user.id, code_hash=_digest(_clean(c))) for c in codes]
    )
    return codes


async def verify(settings: Any, user: User, code: str, now: datetime | None = None) -> str:
    """Check a code at login or before a change; returns ``"code"`` or ``"recovery"``.

    A six-digit code is accepted once: its time step must come after the last one
    accepted. A recovery code is used up.

    Raises:
        TwoFactorError: The code does not match, was used already, or (for a six-digit
            code) cannot be checked because the instance secret changed.
    """
    row = await _row(user)
    if row is None or row.enabled_at is None:
        raise TwoFactorError(gettext("Two-factor authentication is not on for this account."))
    cleaned = _clean(code)
    if len(cleaned) == 6 and cleaned.isdigit():
        secret = unseal(settings, row.secret)
        if secret is None:
            raise TwoFactorError(
                gettext(
                    "Codes from your app cannot be checked on this site any more; use one of "
                    "your recovery codes, or ask an operator to turn two-factor "
                    "authentication off for your account."
                )
            )
        step = _matching_step(secret, cleaned, now or datetime.now(UTC))
        if step is None:
            raise _codes_error()
        # Only one request can move the step forward: a code is good once.
        moved = (
            await TwoFactor.update({TwoFactor.last_step: step})
            .where((TwoFactor.id == row.id) & (TwoFactor.last_step < step))
            .returning(TwoFactor.id)
        )
        if not moved:
            raise TwoFactorError(
                gettext("That code was used already: wait for the next one in your app.")
            )
        return "code"
    used = (
        await RecoveryCode.update({RecoveryCode.used_at: datetime.now(UTC)})
        .where(
            (RecoveryCode.user == user.id)
            & (RecoveryCode.code_hash == _digest(cleaned))
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    if not used:
        raise _codes_error()
    return "recovery"


async def turn_off(user: User) -> bool:
    """Turn two-factor authentication off for ``user``; whether it was on."""
    was_on = await is_on(user)
    await TwoFactor.delete().where(TwoFactor.user == user.id)
    await RecoveryCode.delete().where(RecoveryCode.user == user.id)
    return was_on
