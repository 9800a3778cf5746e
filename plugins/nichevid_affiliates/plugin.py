"""The affiliates plugin's hook implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid_affiliates.settings import SECTION, AffiliateSettings

    return {SECTION: AffiliateSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid_affiliates.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def register_static_dirs() -> dict[str, Any]:
    return {"affiliates": STATIC}


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid_affiliates.routes import all_routes

    return all_routes()


@hookimpl
async def prepare_cards(request: Any, cards: list[Any]) -> None:
    from nichevid_affiliates import slots

    await slots.prepare_cards(request, cards)


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid_affiliates import slots

    return slots.render(slot, context)


@hookimpl
async def video_form_fields(
    request: Any, user: Any, video: Any, values: dict[str, str] | None
) -> str | None:
    from nichevid_affiliates import video_form

    return await video_form.fields(request, user, video, values)


@hookimpl
async def video_options_check(
    user: Any, video: Any, visibility: str, options: dict[str, str], resources: Any
) -> str | None:
    from nichevid_affiliates import video_form

    return await video_form.check(resources, user, video, options)


@hookimpl
async def video_options_saved(video: Any, options: dict[str, str], resources: Any) -> None:
    from nichevid_affiliates import video_form

    await video_form.saved(resources, video, options)


@hookimpl
async def export_user_data(user: Any) -> dict[str, Any]:
    from nichevid_affiliates.privacy import export_for

    return {"affiliates.json": await export_for(user.id)}


@hookimpl
async def user_deleting(user: Any, resources: Any) -> None:
    from nichevid_affiliates.privacy import erase_for

    await erase_for(resources, user.id)
