"""The instance secret that signs sessions, CSRF tokens and media URLs."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any


def instance_secret(settings: Any) -> str:
    """The configured ``secret_key``, else a random key kept in the data directory.

    The generated key is written once (mode 0600) so sessions and signed URLs survive
    restarts of the embedded default.
    """
    configured: str = settings.secret_key.reveal()
    if configured:
        return configured
    return _stored_secret(Path(settings.data_dir) / "secret_key")


@functools.cache
def _stored_secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def pseudonym(settings: Any, user_id: int) -> str:
    """A stable pseudonymous id for ``user_id``: the HMAC-SHA256 of the id under the secret.

    Records the law requires to keep after an account is erased (a moderation audit
    log, a ledger) reference this instead of the user: the same account always gets
    the same pseudonym, and nobody without the instance secret can tell whose it is.

    Args:
        settings: The instance settings (for the secret).
        user_id: The account's id.

    Returns:
        ``"p_"`` and 32 hex digits.
    """
    key = instance_secret(settings).encode()
    digest = hmac.new(key, f"user:{int(user_id)}".encode(), hashlib.sha256).hexdigest()
    return f"p_{digest[:32]}"
