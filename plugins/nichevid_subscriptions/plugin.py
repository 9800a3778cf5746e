"""The subscriptions plugin's hook implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid_subscriptions.settings import SECTION, SubscriptionSettings

    return {SECTION: SubscriptionSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid_subscriptions.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def register_static_dirs() -> dict[str, Any]:
    return {"subscriptions": STATIC}


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid_subscriptions.routes import all_routes

    return list(all_routes())


@hookimpl
async def may_view_video(video: Any, viewer: Any) -> bool | None:
    from nichevid_subscriptions import access

    if video.visibility != "subscribers":
        return None
    return await access.may_watch(video, viewer)


@hookimpl
async def may_view_videos(videos: list[Any], viewer: Any) -> dict[int, bool]:
    from nichevid_subscriptions import access

    return await access.may_watch_many(videos, viewer)


@hookimpl
async def subscribed_videos(viewer: Any, limit: int) -> list[int]:
    from nichevid_subscriptions import access

    return await access.subscribed_videos(int(viewer.id), limit)


@hookimpl
async def payment_event(resources: Any, event: Any, checkout: Any) -> Any:
    from nichevid_subscriptions import lifecycle

    return await lifecycle.apply(resources, event, checkout)


@hookimpl
async def prepare_comments(request: Any, video: Any, author_ids: list[int]) -> None:
    from nichevid_subscriptions import slots

    await slots.prepare_comments(request, video, author_ids)


@hookimpl
async def prepare_profile(request: Any, member: Any) -> None:
    from nichevid_subscriptions import slots

    await slots.prepare_profile(request, member)


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid_subscriptions import slots

    return slots.render(slot, context)


@hookimpl
async def video_form_fields(
    request: Any, user: Any, video: Any, values: dict[str, str] | None
) -> str | None:
    from nichevid_subscriptions import video_form

    return await video_form.fields(user, video, values)


@hookimpl
async def video_options_check(
    user: Any, video: Any, visibility: str, options: dict[str, str]
) -> str | None:
    from nichevid_subscriptions import video_form

    return await video_form.check(user, video, visibility, options)


@hookimpl
async def video_options_saved(video: Any, options: dict[str, str]) -> None:
    from nichevid_subscriptions import video_form

    await video_form.saved(video, options)


@hookimpl
async def export_user_data(user: Any) -> dict[str, Any]:
    from nichevid_subscriptions.privacy import export_for

    return {"subscriptions.json": await export_for(user.id)}


@hookimpl
async def user_deleting(user: Any, resources: Any) -> None:
    from nichevid_subscriptions.privacy import delete_for

    await delete_for(resources, user.id)
