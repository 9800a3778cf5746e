"""Short-lived signed media URLs: ``?exp=<unix time>&sig=<HMAC-SHA256 of key and exp>``."""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(secret: str, key: str, expires: int) -> str:
    """The hex HMAC-SHA256, under ``secret``, of a storage key and its expiry time."""
    message = f"{key}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_query(secret: str, key: str, ttl: int, *, now: float | None = None) -> str:
    """``exp=...&sig=...`` granting access to ``key`` for ``ttl`` seconds."""
    expires = int(now if now is not None else time.time()) + ttl
    return f"exp={expires}&sig={signature(secret, key, expires)}"


def remaining(
    secret: str, key: str, exp: str | None, sig: str | None, *, now: float | None = None
) -> int:
    """Seconds a signed request for ``key`` stays valid; 0 when unsigned, expired or tampered."""
    if not exp or not sig or not exp.isdigit():
        return 0
    left = int(exp) - int(now if now is not None else time.time())
    if left <= 0 or not hmac.compare_digest(signature(secret, key, int(exp)), sig):
        return 0
    return left
