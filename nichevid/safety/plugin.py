"""Safety as a plugin of the core: tables, pages, slots, For You exclusions and screen time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings

STATIC = Path(__file__).parent / "static"


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.safety.piccolo_app"]


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid.safety.settings import SECTION, SafetySettings

    return {SECTION: SafetySettings}


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.safety.routes import SafetyActions, SafetySettingsPage

    return [SafetyActions, SafetySettingsPage]


@hookimpl
def register_static_dirs() -> dict[str, Any]:
    return {"safety": STATIC}


@hookimpl
async def for_you_exclude(video_ids: list[int], viewer: Any) -> list[int] | None:
    if viewer is None:
        return None
    from nichevid.safety.blocks import videos_hidden_from

    return sorted(await videos_hidden_from(video_ids, viewer))


@hookimpl
async def viewer_signals(request: Any, viewer: str, signals: list[Any]) -> None:
    if not viewer.startswith("u"):
        return
    from nichevid.safety.wellbeing import add_watched

    await add_watched(int(viewer[1:]), sum(int(found.watched_ms) for _, found in signals))


@hookimpl
async def prepare_profile(request: Any, member: Any) -> None:
    from nichevid.safety import slots

    await slots.prepare_profile(request, member)


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid.safety import slots

    if slot == "profile_header":
        return slots.profile_actions(context)
    if slot == "settings_menu":
        return slots.settings_link(context)
    if slot == "head":
        return slots.head(context)
    return None


@hookimpl
async def export_user_data(user: Any) -> dict[str, Any]:
    from nichevid.safety.services import export_member

    return {"safety.json": await export_member(user)}


@hookimpl
async def user_deleting(user: Any) -> None:
    from nichevid.safety.services import delete_member

    await delete_member(user)
