"""The one error the affiliate services raise: a message for people and an HTTP status."""

from __future__ import annotations


class AffiliateError(ValueError):
    """An affiliate action refused; ``message`` says what to do, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
