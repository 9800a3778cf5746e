"""The moderation plugin's hook implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid_moderation.settings import SECTION, ModerationSettings

    return {SECTION: ModerationSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid_moderation.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid_moderation.routes import all_routes

    return list(all_routes())


@hookimpl
async def comment_accept(user: Any, video: Any, text: str, resources: Any) -> str | None:
    from nichevid_moderation import gates

    return await gates.comment_refusal(user, text, resources.settings)


@hookimpl
async def upload_accept(user: Any) -> str | None:
    from nichevid_moderation import gates

    return await gates.upload_refusal(user)


@hookimpl
async def review_video(video: Any, resources: Any) -> str | None:
    from nichevid_moderation import gates

    return await gates.video_hold(video, resources)


@hookimpl
async def for_you_exclude(video_ids: list[int], viewer: Any, resources: Any) -> list[int]:
    from nichevid_moderation import gates

    return await gates.kept_out(video_ids, viewer, resources)


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid_moderation import slots

    return slots.render(slot, context)


@hookimpl
def register_cli_commands() -> list[Any]:
    from nichevid_moderation.cli import moderation

    return [moderation]


@hookimpl
async def export_user_data(user: Any) -> dict[str, Any]:
    from nichevid_moderation.privacy import export_for

    return {"moderation.json": await export_for(user.id)}


@hookimpl
async def user_deleting(user: Any) -> None:
    from nichevid_moderation.privacy import delete_for

    await delete_for(user.id)
