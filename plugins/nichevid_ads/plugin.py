"""The ads plugin's hook implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid_ads.settings import SECTION, AdSettings

    return {SECTION: AdSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid_ads.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def register_static_dirs() -> dict[str, Any]:
    return {"ads": STATIC}


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid_ads.admin_routes import all_routes

    return all_routes()


@hookimpl
async def prepare_hashtag(request: Any, tag: str) -> None:
    from nichevid_ads import slots

    await slots.prepare_hashtag(request, tag)


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid_ads import slots

    return slots.render(slot, context)


@hookimpl
async def export_user_data(user: Any) -> dict[str, Any]:
    from nichevid_ads.privacy import export_for

    return {"ads.json": await export_for(user.id)}


@hookimpl
async def user_deleting(user: Any) -> None:
    from nichevid_ads.privacy import erase_for

    await erase_for(user.id)
