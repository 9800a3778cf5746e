"""Videos only some viewers may watch: the age limit, and who may watch which of a list.

A video is *open* when anybody may fetch its media with a plain, cacheable URL: ready,
``public`` and not age-restricted (:func:`nichevid.media.services.is_open`). Every other
ready video is *gated*: its media go out only by URLs signed for one viewer, it never
appears in a page or render shared between viewers, and every listing shows it only to
the viewers :func:`nichevid.media.services.may_view` admits.

The age limit is a core flag (``Video.age_restricted``) that a moderation plugin sets
and clears through :func:`set_age_restricted`. An age-restricted video is for adults
only: members whose date of birth (Settings, Safety) makes them
``plugin.safety.adult_age`` or older. Signed-out visitors and members without a date of
birth are refused, and so is a member who turns out to be younger.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nichevid.media.tables import Video
from nichevid.plugins import call_all, call_first


async def set_age_restricted(video_id: int, restricted: bool) -> bool:
    """Put the age limit on a video, or lift it.

    Args:
        video_id: The video's id.
        restricted: ``True`` to restrict it to adults, ``False`` to open it again to
            the audience its visibility names.

    Returns:
        Whether the video exists.
    """
    rows = (
        await Video.update({Video.age_restricted: restricted})
        .where(Video.id == video_id)
        .returning(Video.id)
    )
    return bool(rows)


async def adults(resources: Any, viewers: Iterable[Any]) -> set[int]:
    """The ids of ``viewers`` (user rows or ids; ``None`` for signed-out) who are adults."""
    from nichevid.safety.prefs import adults_among
    from nichevid.safety.settings import safety_settings

    ids = {int(v if isinstance(v, int) else v.id) for v in viewers if v is not None}
    if not ids:
        return set()
    return await adults_among(ids, safety_settings(resources.settings).adult_age)


async def is_adult(resources: Any, viewer: Any) -> bool:
    """Whether ``viewer`` (``None``: signed out) may watch age-restricted videos."""
    return viewer is not None and bool(await adults(resources, [viewer]))


def _owner(video: Any) -> int:
    return int(video.owner if isinstance(video.owner, int) else video.owner.id)


async def viewable_ids(resources: Any, videos: list[Video], viewer: Any) -> set[int]:
    """The ids of the ``videos`` that ``viewer`` may watch, as ``may_view`` answers each.

    For a whole page at once: the viewer's age is read once (only when an age-restricted
    video is among them) and the plugins answer for the audience-gated ones together
    through ``may_view_videos``; a video no plugin answered for is asked of
    ``may_view_video`` on its own.
    """
    from nichevid.media.services import is_open

    viewer_id = None if viewer is None else int(viewer.id)
    allowed: set[int] = set()
    pending: list[Video] = []
    for video in videos:
        if is_open(video) or (viewer_id is not None and _owner(video) == viewer_id):
            allowed.add(int(video.id))
        elif video.status == "ready" and video.visibility != "private":
            pending.append(video)
    if any(video.age_restricted for video in pending) and not await is_adult(resources, viewer):
        pending = [video for video in pending if not video.age_restricted]
    allowed.update(int(video.id) for video in pending if video.visibility == "public")
    audience = [video for video in pending if video.visibility != "public"]
    if not audience:
        return allowed
    answers: dict[int, bool] = {}
    for answer in await call_all(resources.pm.hook.may_view_videos, videos=audience, viewer=viewer):
        for video_id, verdict in dict(answer).items():
            # As with ``may_view_video``, the first plugin with an answer decides.
            if verdict is not None:
                answers.setdefault(int(video_id), verdict is True)
    for video in audience:
        verdict = answers.get(int(video.id))
        if verdict is None:
            one = await call_first(resources.pm.hook.may_view_video, video=video, viewer=viewer)
            verdict = one is True
        if verdict:
            allowed.add(int(video.id))
    return allowed


def video_of(row: dict[str, Any]) -> Video:
    """The ``Video`` a listing row (``id``, ``slug``, ``owner``, ``visibility``,
    ``age_restricted`` of a ready video) stands for, with what ``may_view`` reads."""
    return Video(
        id=int(row["id"]),
        slug=row["slug"],
        owner=int(row["owner"]),
        status="ready",
        visibility=row["visibility"],
        age_restricted=bool(row["age_restricted"]),
    )


async def admitted(
    resources: Any, rows: list[dict[str, Any]], viewer: Any
) -> tuple[list[dict[str, Any]], set[int]]:
    """The listing rows ``viewer`` may watch, and the ids among them to sign media for.

    Rows as :func:`video_of` reads them; one :func:`viewable_ids` call for the page.
    """
    from nichevid.media.services import is_open

    videos = {int(row["id"]): video_of(row) for row in rows}
    allowed = await viewable_ids(resources, list(videos.values()), viewer)
    kept = [row for row in rows if int(row["id"]) in allowed]
    return kept, {i for i in allowed if not is_open(videos[i])}
