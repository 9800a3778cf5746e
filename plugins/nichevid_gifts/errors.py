"""The one error the gift services raise: a message for people and an HTTP status."""

from __future__ import annotations


class GiftError(ValueError):
    """A gift action refused; ``message`` says what to do, ``status`` is the HTTP status.

    ``buy`` is true when buying coins would help (the page links to the coin packs).
    """

    def __init__(self, message: str, status: int = 400, *, buy: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.buy = buy
