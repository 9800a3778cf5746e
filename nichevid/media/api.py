"""JSON API of videos at ``/api/videos``: read, change, delete, retry, upload, cover.

Scripts send ``Authorization: Bearer <token>``; browsers their session and the
``x-csrftoken`` header. A video the caller may not watch answers 404, as if it did
not exist. The documents are built in :mod:`nichevid.media.documents`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_409_CONFLICT

from nichevid.accounts.auth import current_user
from nichevid.accounts.guards import requires_login, requires_role
from nichevid.accounts.services import has_role
from nichevid.app import BEARER_SCHEME
from nichevid.core.errors import no_video
from nichevid.i18n import gettext, ngettext
from nichevid.media import covers, options, schedule, services
from nichevid.media.documents import VideoDocument, is_owner, video_document
from nichevid.media.plain_upload import receive_video
from nichevid.media.settings import media_settings
from nichevid.media.tables import VISIBILITIES, Video
from nichevid.media.tus import services as uploads

CHANGEABLE = ("caption", "visibility", "publish_at")
JSON_EXAMPLE = '{"caption": "New caption #tag", "visibility": "private"}'
creators_only = requires_role("creator")


def _request_body(media_type: str, schema: Schema, description: str) -> type[Operation]:
    """An OpenAPI operation documenting a body the handler reads itself."""
    body = RequestBody(
        content={media_type: OpenAPIMediaType(schema=schema)},
        description=description,
        required=True,
    )

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return WithBody


_BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
_VideoBody = _request_body("application/octet-stream", _BINARY, "The video file itself.")
_PictureBody = _request_body("image/jpeg", _BINARY, "A JPEG, PNG or WebP picture.")
_ChangesBody = _request_body(
    "application/json",
    Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "caption": Schema(type=OpenAPIType.STRING, max_length=services.CAPTION_MAX),
            "visibility": Schema(type=OpenAPIType.STRING, enum=list(VISIBILITIES)),
            "publish_at": Schema(
                type=OpenAPIType.STRING,
                description=(
                    "When to publish a video not published yet (ISO 8601 with a zone); "
                    "empty: as soon as it is ready, or now."
                ),
            ),
        },
        additional_properties=Schema(
            type=OpenAPIType.STRING,
            max_length=options.OPTION_MAX,
            description=(
                "Plugins' choices, named with the plugin's prefix, such as "
                "subscriptions_tier (a tier id, or empty for every tier)."
            ),
        ),
    ),
    "The fields to change; those left out stay as they are.",
)


class VideoChanges(msgspec.Struct, kw_only=True):
    """What ``PATCH`` may change; ``None`` leaves a field as it is. ``options`` are the
    plugins' choices (``subscriptions_tier``), as on the video edit form."""

    caption: str | None = None
    visibility: str | None = None
    # ISO 8601 with a zone; ``""`` publishes as soon as the video is ready (or now).
    publish_at: str | None = None
    options: dict[str, str] = msgspec.field(default_factory=dict)


def _bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def parse_changes(body: bytes) -> VideoChanges:
    """The changes a ``PATCH`` body asks for.

    Raises:
        HTTPException: 400 for a body that is not a JSON object, unknown fields (all
            named) or values that are not text.
    """
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raw = None
    if not isinstance(raw, dict):
        raise _bad_request(
            gettext("Send a JSON object, for example %(example)s.", example=JSON_EXAMPLE)
        )
    unknown = sorted(
        str(name)
        for name in raw
        if name not in CHANGEABLE
        and (name in options.CORE_FIELDS or not options.OPTION_NAME.match(str(name)))
    )
    if unknown:
        raise _bad_request(
            ngettext(
                "Unknown field: %(fields)s; only caption, visibility, publish_at and plugins' "
                "choices (such as subscriptions_tier) can be changed.",
                "Unknown fields: %(fields)s; only caption, visibility, publish_at and plugins' "
                "choices (such as subscriptions_tier) can be changed.",
                len(unknown),
                fields=", ".join(unknown),
            )
        )
    for name, value in raw.items():
        if value is not None and not isinstance(value, str):
            raise _bad_request(gettext("%(field)s must be text (a JSON string).", field=name))
    try:
        chosen = options.options_of({k: v for k, v in raw.items() if k not in CHANGEABLE})
    except ValueError as exc:
        raise _bad_request(str(exc)) from exc
    return VideoChanges(
        caption=raw.get("caption"),
        visibility=raw.get("visibility"),
        publish_at=raw.get("publish_at"),
        options=chosen,
    )


def content_length(request: Request[Any, Any, Any]) -> int | None:
    """The announced body size, or ``None`` when the body comes in chunks of unknown total.

    Raises:
        HTTPException: 400 for a malformed header.
    """
    header = request.headers.get("content-length")
    if header is None:
        return None
    if not header.strip().isdigit():
        raise _bad_request(gettext("Content-Length must be the size of the body in bytes."))
    return int(header)


async def _read_at_most(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The body, or its first ``limit + 1`` bytes when it is longer (then nothing more is read)."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            break
    return bytes(data)


async def _find(request: Request[Any, Any, Any], video_id: str) -> Video | None:
    if not 0 < len(video_id) <= 16:
        return None
    return await services.get_video(slug=video_id)


async def _visible(request: Request[Any, Any, Any], video_id: str) -> Video:
    video = await _find(request, video_id)
    user = current_user(request)
    if video is None or not (
        is_owner(video, user) or await services.may_view(_resources(request), video, user)
    ):
        raise NotFoundException(no_video())
    return video


async def _owned(request: Request[Any, Any, Any], video_id: str, *, staff: bool = False) -> Video:
    """The video, when the caller owns it (or, with ``staff``, moderates the site)."""
    video = await _find(request, video_id)
    user = current_user(request)
    if video is not None and (is_owner(video, user) or (staff and has_role(user, "moderator"))):
        return video
    if video is None or not await services.may_view(_resources(request), video, user):
        raise NotFoundException(no_video())
    if staff:
        raise PermissionDeniedException(
            gettext("Only its owner or a moderator can do that to this video.")
        )
    raise PermissionDeniedException(gettext("Only its owner can do that to this video."))


def _resources(request: Request[Any, Any, Any]) -> Any:
    return request.app.state.resources


class VideoApi(Controller):
    """Videos for scripts and pages: documents, changes, deletion, retries, uploads, covers."""

    path = "/api/videos"
    tags = ["videos"]
    security = [{BEARER_SCHEME: []}]

    @get("/{video_id:str}")
    async def read(self, request: Request[Any, Any, Any], video_id: FromPath[str]) -> VideoDocument:
        """One video; others' videos only when public and ready."""
        video = await _visible(request, video_id)
        return await video_document(_resources(request), video, current_user(request))

    @patch("/{video_id:str}", guards=[requires_login], operation_class=_ChangesBody)
    async def change(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> VideoDocument:
        """Change the caption (its hashtags and mentions follow), the visibility and the
        plugins' choices (such as ``subscriptions_tier``), all checked before any is stored."""
        video = await _owned(request, video_id)
        changes = parse_changes(await request.body())
        resources, user = _resources(request), current_user(request)
        try:
            if changes.caption is not None:
                services.check_caption(changes.caption)
            visibility = services.check_visibility(changes.visibility or video.visibility)
            when = schedule.parse_publish_at(changes.publish_at)
            if changes.publish_at is not None:
                schedule.check_schedulable(video, when)
        except ValueError as exc:
            raise _bad_request(str(exc)) from exc
        refusal = await options.check(resources, user, video, visibility, changes.options)
        if refusal:
            raise _bad_request(refusal)
        try:
            video = await services.update_video(
                video, caption=changes.caption, visibility=changes.visibility
            )
        except ValueError as exc:
            raise _bad_request(str(exc)) from exc
        except LookupError as exc:
            raise NotFoundException(no_video()) from exc
        if changes.publish_at is not None:
            try:
                video = await schedule.set_schedule(resources.pm, video, when)
            except LookupError as exc:
                raise NotFoundException(no_video()) from exc
        if changes.options:
            await options.saved(resources, video, changes.options)
        return await video_document(resources, video, user)

    @delete("/{video_id:str}", guards=[requires_login])
    async def remove(self, request: Request[Any, Any, Any], video_id: FromPath[str]) -> None:
        """Delete the video and every file of it (owner, moderators, admins)."""
        video = await _owned(request, video_id, staff=True)
        await services.delete_video(_resources(request), video)

    @post("/{video_id:str}/retry", guards=[requires_login], status_code=HTTP_202_ACCEPTED)
    async def retry(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> VideoDocument:
        """Process a failed video again from its kept original."""
        video = await _owned(request, video_id)
        resources = _resources(request)
        if not await services.retry_video(resources, video):
            reason = (
                "Only failed videos can be retried."
                if video.status != "failed"
                else "The original file is gone; upload the video again."
            )
            raise HTTPException(status_code=HTTP_409_CONFLICT, detail=reason)
        fresh = await services.get_video(video_id=video.id)
        if fresh is None:
            raise NotFoundException(no_video())
        return await video_document(resources, fresh, current_user(request))

    @post(
        "/",
        guards=[creators_only],
        request_max_body_size=None,
        status_code=HTTP_201_CREATED,
        operation_class=_VideoBody,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        caption: FromQuery[str] = "",
        visibility: FromQuery[str] = "public",
        filename: FromQuery[str] = "",
        publish_at: FromQuery[str] = "",
    ) -> Response[VideoDocument]:
        """Upload a video in one request: the body is the file (use tus at ``/uploads/`` to
        resume broken uploads). ``filename`` gives the file's extension, ``publish_at``
        (ISO 8601 with a zone) a later publishing time; plugins' choices go in the query as
        well (``subscriptions_tier=3``)."""
        user = current_user(request)
        resources = _resources(request)
        chosen = {
            name: value
            for name, value in request.query_params.items()
            if options.OPTION_NAME.match(name) and name not in options.CORE_FIELDS
        }
        metadata = {
            **chosen,
            "caption": caption,
            "visibility": visibility,
            "filename": filename,
            "publish_at": publish_at,
        }
        try:
            video = await receive_video(
                resources, user, request.stream(), content_length(request), metadata
            )
        except uploads.UploadError as exc:
            raise HTTPException(status_code=exc.status, detail=exc.message) from exc
        document = await video_document(resources, video, user)
        headers = {"Location": f"{self.path}/{video.slug}"}
        return Response(document, status_code=HTTP_201_CREATED, headers=headers)

    @put(
        "/{video_id:str}/cover",
        guards=[requires_login],
        request_max_body_size=None,
        operation_class=_PictureBody,
    )
    async def cover(
        self, request: Request[Any, Any, Any], video_id: FromPath[str]
    ) -> VideoDocument:
        """Replace the poster with a picture (JPEG, PNG or WebP), cropped to the video's frame."""
        video = await _owned(request, video_id)
        if video.status in ("failed", "removed"):
            raise HTTPException(
                status_code=HTTP_409_CONFLICT,
                detail=gettext(
                    "This video is %(status)s; a cover can be set once it is processed.",
                    status=video.status,
                ),
            )
        resources = _resources(request)
        limit = media_settings(resources.settings).cover_max_bytes
        length = content_length(request)
        try:
            if length is not None and length > limit:
                raise covers.too_large(limit)
            data = await _read_at_most(request, limit)
            video = await covers.set_cover(resources, video, data)
        except covers.CoverError as exc:
            raise HTTPException(status_code=exc.status, detail=exc.message) from exc
        except LookupError as exc:
            raise NotFoundException(no_video()) from exc
        return await video_document(resources, video, current_user(request))
