"""Accounts as a plugin of the core."""

from __future__ import annotations

from nichevid.plugins import hookimpl


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.accounts.piccolo_app"]
