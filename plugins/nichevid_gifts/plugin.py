"""The gifts plugin's hook implementations."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid_gifts.settings import SECTION, GiftSettings

    return {SECTION: GiftSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid_gifts.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def register_static_dirs() -> dict[str, Any]:
    return {"gifts": STATIC}


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid_gifts.admin_routes import all_routes

    return all_routes()


@hookimpl
def register_lifespan() -> list[Any]:
    return [seeded_catalogue]


@contextlib.asynccontextmanager
async def seeded_catalogue(app: Any) -> AsyncIterator[None]:
    """A new instance starts with the default gifts."""
    from nichevid_gifts.catalogue import seed_defaults

    await seed_defaults()
    yield


@hookimpl
async def prepare_profile(request: Any, member: Any) -> None:
    from nichevid_gifts import slots

    await slots.prepare_profile(request, member)


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid_gifts import slots

    return slots.render(slot, context)


@hookimpl
async def export_user_data(user: Any) -> dict[str, Any]:
    from nichevid_gifts.privacy import export_for

    return {"gifts.json": await export_for(user.id)}


@hookimpl
async def user_deleting(user: Any) -> None:
    from nichevid_gifts.privacy import erase_for

    await erase_for(user.id)
