"""A well-behaved plugin: a route, a settings section, templates and static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from litestar import get
from litestar.response import Template

from nichevid.plugins import hookimpl
from nichevid.settings import Secret

HERE = Path(__file__).parent


class GreeterSettings(msgspec.Struct, kw_only=True):
    """``[plugin.greeter]``."""

    greeting: str = "hello"
    times: int = 1
    api_key: Secret = msgspec.field(default_factory=lambda: Secret(""))


@get("/greet", sync_to_thread=False)
def greet() -> dict[str, str]:
    """Answer with the greeting."""
    return {"greeting": "hello"}


@get("/greet/page", sync_to_thread=False)
def greet_page() -> Template:
    """A full page extending ``base.html``."""
    return Template(template_name="greeter/page.html", context={"who": "world"})


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    return [greet, greet_page]


@hookimpl
def register_settings() -> dict[str, Any]:
    return {"greeter": GreeterSettings}


@hookimpl
def register_template_dirs() -> list[Path]:
    return [HERE / "greeter_templates"]


@hookimpl
def register_static_dirs() -> dict[str, Path]:
    return {"greeter": HERE / "greeter_static"}
