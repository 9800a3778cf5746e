"""Social as a plugin of the core: tables, pages, API, slots, visibility and events."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings
from nichevid.social import slots


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.social.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.social.api import SocialApi
    from nichevid.social.digest_routes import DigestLinks
    from nichevid.social.routes import SocialFragments, SocialPages
    from nichevid.social.saved import SavedPages

    return [SocialApi, SocialFragments, SocialPages, SavedPages, DigestLinks]


@hookimpl
def register_cron_jobs() -> list[Any]:
    from nichevid.jobs import CronJob
    from nichevid.social.digest import JOB, digest_job

    return [CronJob(JOB, digest_job, minute={40}, timeout=600.0)]


@hookimpl(trylast=True)
def register_middleware(settings: Settings) -> list[Any]:
    # Last, so it runs after the accounts middleware has found the user.
    return [slots.UnreadCount]


@hookimpl
async def prepare_cards(request: Any, cards: list[Any]) -> None:
    await slots.prepare_cards(request, cards)


@hookimpl
async def personal_choices(request: Any, video_ids: list[int]) -> dict[str, str] | None:
    return await slots.personal_choices(request, video_ids)


@hookimpl
async def prepare_profile(request: Any, member: Any) -> None:
    await slots.prepare_profile(request, member)


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    if slot == "video_actions":
        return slots.video_actions(context)
    if slot == "nav":
        return slots.nav(context)
    if slot in ("profile_header", "profile_content"):
        return slots.profile(slot, context)
    if slot == "head":
        return '<script src="/static/social.js" defer></script>'
    return None


@hookimpl(trylast=True)
async def may_view_video(video: Any, viewer: Any) -> bool | None:
    if viewer is None or video.visibility != "followers":
        return None
    from nichevid.social.listing import known_followees
    from nichevid.social.services import is_following

    owner = int(video.owner if isinstance(video.owner, int) else video.owner.id)
    known = known_followees.get()
    if (known is not None and owner in known) or await is_following(viewer, owner):
        return True
    return None


@hookimpl(trylast=True)
async def may_view_videos(videos: list[Any], viewer: Any) -> dict[int, bool] | None:
    # Called last, as ``may_view_video``: a refusal here only stands when no plugin
    # before it admitted the video, which is what "no answer" means for one video.
    fans = [video for video in videos if video.visibility == "followers"]
    if viewer is None or not fans:
        return None
    from nichevid.social.follows import followees_among

    owners = {int(v.owner if isinstance(v.owner, int) else v.owner.id) for v in fans}
    followed = await followees_among(viewer, owners)
    return {
        int(video.id): int(video.owner if isinstance(video.owner, int) else video.owner.id)
        in followed
        for video in fans
    }


@hookimpl
async def video_ready(video: Any) -> None:
    if video is None:  # deleted between becoming ready and this event
        return
    from nichevid.social.notifications import notify_followers, notify_mentions

    await notify_mentions(video)
    await notify_followers(video)
