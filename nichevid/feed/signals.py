"""Telling plugins what a member just did with a video (the ``viewer_signals`` hook)."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import notify
from nichevid.recommend.ratings import Signals


async def member_signal(request: Any, video_id: int, signals: Signals) -> None:
    """Fire ``viewer_signals`` for the signed-in member of ``request`` (nobody: nothing)."""
    user = request.scope.get("user")
    if user is None:
        return
    await notify(
        request.app.state.pm,
        "viewer_signals",
        request=request,
        viewer=f"u{user.id}",
        signals=[(int(video_id), signals)],
    )
