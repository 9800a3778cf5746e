"""The instance secret that signs sessions, CSRF tokens and media URLs."""

from __future__ import annotations

import functools
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
