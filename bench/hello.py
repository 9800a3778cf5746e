"""The reference point of the load runner: a bare Litestar app answering ``GET /``.

Served by the same uvicorn with the same options as nichevid, so the ratio between
the two measures what nichevid adds on top of the framework.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    """Plain text, no middleware, no database."""
    return "Hello, world!"


app = Litestar(route_handlers=[hello])
