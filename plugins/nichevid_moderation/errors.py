"""The one error moderation services raise: an HTTP status and what to do."""

from __future__ import annotations


class ModerationError(Exception):
    """A refused moderation step: the HTTP status and a user-facing message."""

    def __init__(self, status: int, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
