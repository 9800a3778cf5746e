"""The rules account data must follow, and the error that reports a broken one."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from nichevid.accounts.passwords import password_problem
from nichevid.i18n import gettext
from nichevid.settings import Settings

USERNAME_RE = re.compile(r"^[a-z0-9_]{3,32}$")
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Names that would let a member pass for the staff; the command line may still use them.
RESERVED_USERNAMES = frozenset(
    [
        "admin",
        "administrator",
        "root",
        "staff",
        "support",
        "help",
        "moderator",
        "mod",
        "system",
        "nichevid",
        "official",
        "security",
        "abuse",
        "postmaster",
        "webmaster",
        "api",
        "www",
        "null",
        "undefined",
    ]
)
DISPLAY_NAME_MAX = 64
# No stored password is longer (the sign-up limit is lower); longer input is not even hashed.
LOGIN_PASSWORD_MAX = 4096
BIO_MAX = 500
_dummy_hash: str = ""


class AccountError(ValueError):
    """A user-facing refusal; ``field`` names the form field it is about (or ``""``)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """``value`` with UTC attached when the database handed back a naive timestamp."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalize_username(username: str) -> str:
    """Usernames compare case-insensitively, so they are stored lower-case."""
    return username.strip().lower()


def normalize_email(email: str) -> str:
    """E-mail addresses are stored trimmed and lower-case, so uniqueness ignores case."""
    return email.strip().lower()


def clean_text(value: str, limit: int, *, multiline: bool = False) -> str:
    """Drop control characters (keeping newlines when ``multiline``) and trim to ``limit``."""
    kept = []
    for char in unicodedata.normalize("NFC", value):
        if char in "\r\n\t" and multiline:
            kept.append("\n" if char != "\t" else " ")
        elif unicodedata.category(char)[0] != "C":
            kept.append(char)
    text = "".join(kept).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text[:limit]


def check_username(username: str, *, allow_reserved: bool = False) -> str:
    """Return the normalised username or raise :class:`AccountError`."""
    name = normalize_username(username)
    if not USERNAME_RE.match(name):
        raise AccountError(
            gettext("Usernames are 3 to 32 characters: letters a-z, digits and underscores."),
            "username",
        )
    if name in RESERVED_USERNAMES and not allow_reserved:
        raise AccountError(gettext("That username is reserved; choose another."), "username")
    return name


def check_email(email: str) -> str:
    """Return the normalised e-mail address or raise :class:`AccountError`."""
    address = normalize_email(email)
    if len(address) > 254 or not EMAIL_RE.match(address):
        raise AccountError(gettext("Enter a valid e-mail address, like name@example.org."), "email")
    return address


def check_password(settings: Settings, password: str, *, avoid: tuple[str, ...] = ()) -> None:
    """Raise :class:`AccountError` when ``password`` breaks the password rules."""
    problem = password_problem(
        password,
        min_length=settings.accounts.password_min_length,
        max_length=settings.accounts.password_max_length,
        avoid=avoid,
    )
    if problem:
        raise AccountError(problem, "password")
