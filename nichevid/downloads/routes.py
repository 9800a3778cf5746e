"""``/v/<slug>/download``: the video as an MP4 file, for viewers its creator lets save it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Response, Stream
from litestar.status_codes import HTTP_403_FORBIDDEN, HTTP_409_CONFLICT

from nichevid.accounts.web import client_ip
from nichevid.core.ratelimit import too_many
from nichevid.downloads import services
from nichevid.i18n import gettext
from nichevid.media.routes import X_ACCEL_PREFIX
from nichevid.media.services import get_video, may_view
from nichevid.safety.blocks import blocked_between

PER_HOUR = 30
HOUR = 3600


class Downloads(Controller):
    """The download of one video."""

    path = "/v"
    include_in_schema = False

    @get("/{slug:str}/download")
    async def download(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Stream | Response[Any]:
        """The largest MP4 of the video, saved under its slug.

        Raises:
            NotFoundException: No such video, or not one the viewer may watch.
            HTTPException: 403 when its creator does not offer it (the creator always
                may), 409 while no MP4 is made yet, 429 past :data:`PER_HOUR` an hour.
        """
        resources = request.app.state.resources
        viewer = request.scope.get("user")
        video = await get_video(slug=slug) if 0 < len(slug) <= 16 else None
        if video is not None and await blocked_between(viewer, int(video.owner)):
            video = None
        if video is None or not await may_view(resources, video, viewer):
            raise NotFoundException(gettext("This video does not exist or is not public."))
        mine = viewer is not None and int(viewer.id) == int(video.owner)
        if not mine and not await services.OFFERED.marked(int(video.id)):
            raise HTTPException(
                status_code=HTTP_403_FORBIDDEN,
                detail=gettext(
                    "Its creator does not offer this video for download; watch it on its page."
                ),
            )
        found = await services.best_file(video) if video.status == "ready" else None
        if found is None:
            raise HTTPException(
                status_code=HTTP_409_CONFLICT,
                detail=gettext("The video is still being processed; try again in a minute."),
            )
        who = f"u{int(viewer.id)}" if viewer is not None else f"a{client_ip(request)}"
        verdict = await resources.limiter.hit(f"download:{who}", PER_HOUR, HOUR)
        if not verdict.allowed:
            raise too_many(
                verdict,
                gettext(
                    "You downloaded %(num)s videos this hour; try again in %(minutes)s min.",
                    num=PER_HOUR,
                    minutes=max(1, verdict.retry_after // 60),
                ),
            )
        storage = resources.storage
        size = await storage.size(found.storage_key)
        headers = {
            "Content-Disposition": f'attachment; filename="{services.file_name(video)}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        }
        if request.app.state.settings.server.x_accel_redirect and storage.on_local_disk:
            headers["X-Accel-Redirect"] = X_ACCEL_PREFIX + found.storage_key
            return Response(b"", headers=headers, media_type="video/mp4")
        headers["Content-Length"] = str(size)
        return Stream(storage.open(found.storage_key), headers=headers, media_type="video/mp4")
