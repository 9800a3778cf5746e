"""What a served process keeps for its whole life stays out of the garbage collector's way.

CPython's cyclic collector walks every tracked object in its oldest generation on
each full collection. In a web process that is mostly what importing Litestar,
Piccolo, Jinja, numpy and the plugins created, some 150,000 objects that live
until the process ends; under load a full collection runs every few seconds and
stops every request in flight for as long as the walk takes (about a hundred
milliseconds here, which is what the slowest responses waited). Once the app
has started, :func:`freeze_startup` collects the garbage of the start and moves
everything still alive to the permanent generation (:func:`gc.freeze`), which
full collections skip; what requests create afterwards is collected as before.

Only the process that serves (``nichevid serve``, the ``app_from_env`` factory)
freezes, and only once, before its first request: frozen objects that later
become cyclic garbage are never collected, so freezing again while requests are
in flight, or in a process that builds many apps (the tests), would leak them.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


async def freeze_startup() -> None:
    """Collect the start's garbage, then exempt what is left from later full collections."""
    gc.collect()
    gc.freeze()
    log.debug("%d objects kept out of full garbage collections", gc.get_freeze_count())
