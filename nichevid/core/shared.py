"""Fragments rendered once for every member, with each member's own marks put back in.

The next batches of the For You feed look the same to every signed-in member but for
a few marks: the like and bookmark buttons they pressed. :class:`SharedRenders` keeps
such a fragment for ``server.page_cache_seconds`` per place and language. While it is
rendered, a slot that shows something personal renders what a member who did nothing
sees, and offers the other versions with :func:`alternative`; before each member gets
the fragment, the ``personal_choices`` hook names the versions that are theirs, and
those replace the defaults. A member's request then costs their session and one query
per plugin instead of every card's queries and the whole render.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nichevid.plugins import answers

# Where a shared render collects the alternatives its slots offer.
ALTERNATIVES = "nichevid.shared.alternatives"
MAX_ENTRIES = 256


def is_shared(request: Any) -> bool:
    """Whether the fragment being rendered is shared by every member."""
    return request is not None and ALTERNATIVES in request.scope


def alternative(request: Any, key: str, default: str, **versions: str) -> str:
    """Offer ``versions`` of ``default`` under ``key``; return ``default`` to show.

    Outside a shared render it only returns ``default``. ``key`` is unique within the
    fragment (e.g. ``"social.like.42"``); ``default`` must appear in it exactly once.
    """
    if is_shared(request):
        request.scope[ALTERNATIVES][key] = (default, versions)
    return default


@dataclass
class Shared:
    """A shared fragment: its HTML and the alternatives of its personal parts."""

    html: str
    video_ids: list[int]
    alternatives: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    expires: float = 0.0

    def for_member(self, choices: dict[str, str]) -> str:
        """The HTML with the versions ``choices`` names (``{key: version}``) put in."""
        html = self.html
        for key, version in choices.items():
            default, versions = self.alternatives.get(key, ("", {}))
            if default and version in versions:
                html = html.replace(default, versions[version], 1)
        return html


class SharedRenders:
    """One process's shared fragments, by place and language, for ``ttl`` seconds."""

    def __init__(self, ttl: float, most: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.most = most
        self.entries: OrderedDict[tuple[str, ...], Shared] = OrderedDict()

    def _fresh(self, key: tuple[str, ...]) -> Shared | None:
        entry = self.entries.get(key)
        return entry if entry is not None and entry.expires > time.monotonic() else None

    def _keep(self, key: tuple[str, ...], entry: Shared) -> Shared:
        if self.ttl > 0:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.most:
                self.entries.popitem(last=False)
        return entry

    async def get(
        self,
        request: Any,
        key: tuple[str, ...],
        render: Callable[[], Awaitable[tuple[str, list[int]]]],
    ) -> Shared:
        """The fragment of ``key``; ``render`` makes it and names its videos."""
        entry = self._fresh(key)
        if entry is not None:
            return entry
        alternatives: dict[str, tuple[str, dict[str, str]]] = {}
        request.scope[ALTERNATIVES] = alternatives
        try:
            html, video_ids = await render()
        finally:
            del request.scope[ALTERNATIVES]
        return self._keep(key, Shared(html, video_ids, alternatives, time.monotonic() + self.ttl))

    async def get_each(
        self,
        request: Any,
        keys: Mapping[int, tuple[str, ...]],
        prepare: Callable[[list[int]], Awaitable[dict[int, Callable[[], str]]]],
    ) -> dict[int, Shared]:
        """One fragment per video of ``keys`` (``{video id: key}``).

        ``prepare`` reads what the missing ones need, in one go and as a shared render,
        and answers a render function for each video it still finds.
        """
        found = {video: entry for video, key in keys.items() if (entry := self._fresh(key))}
        missing = [video for video in keys if video not in found]
        if not missing:
            return found
        request.scope[ALTERNATIVES] = {}
        try:
            renders = await prepare(missing)
            for video, render in renders.items():
                alternatives: dict[str, tuple[str, dict[str, str]]] = {}
                request.scope[ALTERNATIVES] = alternatives
                entry = Shared(render(), [video], alternatives, time.monotonic() + self.ttl)
                found[video] = self._keep(keys[video], entry)
        finally:
            del request.scope[ALTERNATIVES]
        return found


def audience(request: Any) -> str:
    """Who a shared render is for: the member's role, or ``guest``."""
    user = request.scope.get("user")
    return str(user.role) if user is not None else "guest"


async def personal_choices(request: Any, video_ids: list[int]) -> dict[str, str]:
    """Every plugin's choice of versions for the member of ``request``."""
    choices: dict[str, str] = {}
    pm = request.app.state.pm
    for answer in await answers(pm, "personal_choices", request=request, video_ids=video_ids):
        choices.update(answer)
    return choices
