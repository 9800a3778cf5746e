"""Password hashing (argon2id) and the rules a new password must pass."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nichevid.i18n import gettext

# A short list of the passwords that top every leaked-password list; longer ones
# are caught by the length rule, repetitive ones by the variety rule.
COMMON_PASSWORDS = frozenset(
    [
        "123456789012",
        "1234567890",
        "0123456789",
        "12345678910",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "qwertyuiop",
        "qwertyuiop1",
        "qwerty1234",
        "qwerty12345",
        "qwerty123456",
        "asdfghjkl",
        "asdfghjkl1",
        "zxcvbnm123",
        "iloveyou12",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "welcome1234",
        "admin12345",
        "administrator",
        "changeme123",
        "trustno1234",
        "football123",
        "baseball123",
        "sunshine12",
        "princess12",
        "dragon1234",
        "monkey1234",
        "starwars12",
        "superman12",
        "michael123",
        "whatever12",
        "abcdefghij",
        "abcdefghijk",
        "abcd1234efgh",
        "aaaaaaaaaa",
        "1111111111",
        "0000000000",
    ]
)
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "01234567890",
    "09876543210",
)
MIN_DISTINCT_CHARS = 5

# RFC 9106's second recommended option (argon2id, 64 MiB, 3 passes), argon2-cffi's default.
DEFAULT_HASHER = PasswordHasher()
_hasher = DEFAULT_HASHER


def hasher() -> PasswordHasher:
    """The hasher used for new hashes; stored hashes with other parameters are re-hashed."""
    return _hasher


def set_hasher(new: PasswordHasher) -> PasswordHasher:
    """Replace the hasher (tuning, tests); return the previous one."""
    global _hasher
    old, _hasher = _hasher, new
    return old


async def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id, off the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str, password: str) -> bool:
    """Check ``password`` against ``stored_hash``; any malformed hash counts as a mismatch."""
    try:
        return await asyncio.to_thread(_hasher.verify, stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` was made with other parameters than the current hasher's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def password_problem(
    password: str, *, min_length: int, max_length: int, avoid: tuple[str, ...] = ()
) -> str | None:
    """Return why ``password`` is not acceptable, or ``None`` when it is.

    Args:
        password: The candidate password.
        min_length: Fewest characters allowed.
        max_length: Most characters allowed (bounds the hashing work per request).
        avoid: Strings the password must not contain, such as the username.
    """
    if len(password) < min_length:
        return gettext("Use at least %(num)s characters for your password.", num=min_length)
    if len(password) > max_length:
        return gettext("Use at most %(num)s characters for your password.", num=max_length)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return gettext("That password is one of the most common ones; choose another.")
    if len(set(lowered)) < MIN_DISTINCT_CHARS:
        return gettext("That password repeats too few characters; mix in more different ones.")
    if any(lowered in seq for seq in SEQUENCES):
        return gettext("That password is a simple sequence; choose another.")
    for word in avoid:
        if len(word) >= 3 and word.lower() in lowered:
            return gettext("Your password must not contain your username or e-mail address.")
    return None
