"""JSON API of a video's subtitle tracks at ``/api/videos/{id}/captions``.

Anyone who may watch a video lists its tracks (the player loads them anyway); its
owner, moderators and admins add, replace and delete them. Scripts send
``Authorization: Bearer <token>``; browsers their session and the ``x-csrftoken``
header. The body of ``PUT`` is the WebVTT file itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, put
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from nichevid.accounts.auth import current_user
from nichevid.accounts.guards import requires_login
from nichevid.accounts.services import has_role
from nichevid.app import BEARER_SCHEME
from nichevid.captions import services
from nichevid.captions.settings import captions_settings
from nichevid.captions.tables import Caption
from nichevid.core.errors import no_video
from nichevid.i18n import gettext
from nichevid.media import services as media
from nichevid.media.documents import is_owner
from nichevid.media.tables import Video

EXAMPLE = (
    "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nHello!\n\n"
    "00:00:02.500 --> 00:00:04.000 line:80%\n<i>Captions</i> in two cues.\n"
)


@dataclass
class _VttBody(Operation):
    """Documents the WebVTT body ``PUT`` reads itself."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={
                "text/vtt": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, examples=[EXAMPLE])
                )
            },
            description=(
                "A WebVTT file in UTF-8 (a byte order mark is fine). It is checked and "
                "stored re-written: notes, styles, regions, cue identifiers, unknown cue "
                "settings and tags other than WebVTT's own are left out."
            ),
            required=True,
        )


class CaptionDocument(msgspec.Struct):
    """One subtitle track; ``url`` is ``None`` when the caller may not fetch the file."""

    language: str
    label: str
    url: str | None
    cues: int
    size_bytes: int
    created_at: datetime
    updated_at: datetime


async def caption_document(
    resources: Any, video: Video, row: Caption, viewer: Any
) -> CaptionDocument:
    """The document of one track of ``video`` for ``viewer``."""
    try:
        url: str | None = await services.track_url(resources, video, row, viewer)
    except PermissionError:  # a moderator looking after a video only its owner may watch
        url = None
    return CaptionDocument(
        language=row.language,
        label=row.label,
        url=url,
        cues=row.cue_count,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _resources(request: Request[Any, Any, Any]) -> Any:
    return request.app.state.resources


async def _video(request: Request[Any, Any, Any], video_id: str, *, change: bool) -> Video:
    """The video, when the caller may see it (and, with ``change``, change its captions).

    Raises:
        NotFoundException: No such video, or the caller may not watch it.
        PermissionDeniedException: The caller may watch it but not change its captions.
    """
    video = await media.get_video(slug=video_id) if 0 < len(video_id) <= 16 else None
    user = current_user(request)
    if video is None:
        raise NotFoundException(no_video())
    if is_owner(video, user) or (change and has_role(user, "moderator")):
        return video
    if not await media.may_view(_resources(request), video, user):
        raise NotFoundException(no_video())
    if change:
        raise PermissionDeniedException(
            gettext("Only the video's owner or a moderator can change its captions.")
        )
    return video


async def _read_at_most(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The body, read no further than ``limit`` bytes.

    Raises:
        HTTPException: 413 when the body is longer than ``limit`` (announced by
            ``Content-Length`` or found while reading).
    """
    header = request.headers.get("content-length", "")
    if header.strip().isdigit() and int(header) > limit:
        raise HTTPException(status_code=413, detail=services.too_large(int(header), limit))
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            # Sent without a length: its full size is unknown, only that it is too large.
            raise HTTPException(status_code=413, detail=services.too_large(None, limit))
    return bytes(data)


def http_error(exc: services.CaptionError) -> HTTPException:
    """The HTTP error of a refused change."""
    return HTTPException(status_code=exc.status, detail=exc.message)


class CaptionApi(Controller):
    """Subtitle tracks of a video: list, add or replace one language, delete one."""

    path = "/api/videos"
    tags = ["captions"]
    security = [{BEARER_SCHEME: []}]

    @get("/{video_id:str}/captions")
    async def list_captions(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> list[CaptionDocument]:
        """The video's subtitle tracks, by language."""
        video = await _video(request, video_id, change=False)
        resources, user = _resources(request), current_user(request)
        rows = await services.captions_of(video)
        return [await caption_document(resources, video, row, user) for row in rows]

    @put(
        "/{video_id:str}/captions/{language:str}",
        guards=[requires_login],
        request_max_body_size=None,
        operation_class=_VttBody,
    )
    async def put_caption(
        self,
        request: Request[Any, Any, Any],
        video_id: FromPath[str],
        language: FromPath[str],
        label: FromQuery[str | None] = None,
    ) -> Response[CaptionDocument]:
        """Add the track of ``language`` (a BCP 47 tag such as ``en``, ``pt-BR``, ``zh-Hant``),
        or replace it; a bad file leaves the current track as it is. ``label`` names the
        track in the player's menu (default: the language's own name; kept on replace)."""
        video = await _video(request, video_id, change=True)
        resources = _resources(request)
        limit = captions_settings(resources.settings).max_bytes
        data = await _read_at_most(request, limit)
        try:
            row, created = await services.put_caption(resources, video, language, data, label=label)
        except services.CaptionError as exc:
            raise http_error(exc) from exc
        document = await caption_document(resources, video, row, current_user(request))
        if created:
            headers = {"Location": f"{self.path}/{video.slug}/captions/{row.language}"}
            return Response(document, status_code=HTTP_201_CREATED, headers=headers)
        return Response(document, status_code=HTTP_200_OK)

    @delete("/{video_id:str}/captions/{language:str}", guards=[requires_login])
    async def delete_caption(
        self, request: Request[Any, Any, Any], video_id: FromPath[str], language: FromPath[str]
    ) -> None:
        """Delete the track of ``language`` and its file."""
        video = await _video(request, video_id, change=True)
        if not await services.delete_caption(_resources(request), video, language):
            raise NotFoundException(
                gettext("This video has no captions in '%(language)s'.", language=language[:35])
            )
