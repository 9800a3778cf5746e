"""The one error the subscription services raise: a message for people and a status."""

from __future__ import annotations


class SubscriptionError(ValueError):
    """Refused input or action; ``message`` says what to do, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
