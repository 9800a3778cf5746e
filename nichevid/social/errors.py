"""The error social services raise for a refused action."""

from __future__ import annotations


class SocialError(Exception):
    """A refused action: the HTTP status and a message saying what to do."""

    def __init__(self, status: int, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
