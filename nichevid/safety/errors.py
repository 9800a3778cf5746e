"""The error safety services raise for a refused action."""

from __future__ import annotations


class SafetyError(Exception):
    """A refused action: the HTTP status and a message saying what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
