"""HTTP side of tus: ``/uploads/`` (the protocol) and ``/api/uploads/{upload_id}`` (JSON).

Browsers send the ``x-csrftoken`` header with their session; scripts send
``Authorization: Bearer <token>`` and need no CSRF token.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, head, patch, route
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from nichevid.accounts.auth import current_user
from nichevid.accounts.guards import requires_role
from nichevid.i18n import gettext
from nichevid.media.settings import media_settings
from nichevid.media.tables import Upload, Video
from nichevid.media.tus import protocol, services
from nichevid.media.tus.protocol import TUS_VERSION, TusProtocolError, base_headers

_NO_BODY: Any = b""
creators_only = requires_role("creator")


def _fail(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers=base_headers())


def _check_version(request: Request[Any, Any, Any]) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise HTTPException(
            status_code=412,
            detail=gettext(
                "Send Tus-Resumable: %(version)s; this server speaks no other version.",
                version=TUS_VERSION,
            ),
            headers=base_headers(Tus_Version=TUS_VERSION),
        )


async def _own_upload(request: Request[Any, Any, Any], upload_id: str) -> Upload:
    upload = await services.get_upload(upload_id)
    user = current_user(request)
    if upload is None or user is None or upload.owner != user.id:
        raise HTTPException(
            status_code=404, detail=gettext("No such upload."), headers=base_headers()
        )
    return upload


def _live(upload: Upload) -> None:
    if services.is_expired(upload):
        raise _fail(410, gettext("This upload has expired; start it again."))


def _upload_headers(upload: Upload) -> dict[str, str]:
    headers = base_headers(Upload_Offset=upload.received, Upload_Length=upload.length)
    if upload.status == "uploading":
        headers["Upload-Expires"] = protocol.http_date(upload.expires_at)
    return headers


async def _append(request: Request[Any, Any, Any], upload: Upload, offset: int) -> Upload:
    try:
        checksum = protocol.parse_checksum(request.headers.get("upload-checksum"))
    except TusProtocolError as exc:
        raise _fail(400, str(exc)) from exc
    try:
        return await services.append(
            request.app.state.resources, upload, offset, request.stream(), checksum
        )
    except services.UploadError as exc:
        raise _fail(exc.status, exc.message) from exc


def _is_offset_stream(request: Request[Any, Any, Any]) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == protocol.OFFSET_CONTENT_TYPE


def _options(request: Request[Any, Any, Any]) -> Response[None]:
    config = media_settings(request.app.state.settings)
    headers = base_headers(
        Tus_Version=TUS_VERSION,
        Tus_Extension=",".join(protocol.EXTENSIONS),
        Tus_Checksum_Algorithm=",".join(protocol.CHECKSUM_ALGORITHMS),
    )
    if config.max_bytes:
        headers["Tus-Max-Size"] = str(config.max_bytes)
    return Response(_NO_BODY, status_code=HTTP_204_NO_CONTENT, headers=headers)


class TusController(Controller):
    """The tus 1.0.0 endpoint: create, resume, append and cancel uploads."""

    path = "/uploads"
    tags = ["uploads"]
    include_in_schema = False

    # One handler for both methods: Litestar would otherwise answer OPTIONS itself.
    @route(
        "/",
        http_method=["OPTIONS", "POST"],
        request_max_body_size=None,
        status_code=HTTP_201_CREATED,
    )
    async def create(self, request: Request[Any, Any, Any]) -> Response[None]:
        """``OPTIONS``: what this server supports (no sign-in needed). ``POST``: creation,
        and creation-with-upload when a body comes along."""
        if request.method == "OPTIONS":
            return _options(request)
        creators_only(request, request.route_handler)
        _check_version(request)
        if request.headers.get("upload-defer-length"):
            raise _fail(400, gettext("Upload-Defer-Length is not supported; send Upload-Length."))
        try:
            length = protocol.parse_non_negative(
                request.headers.get("upload-length"), "Upload-Length"
            )
            metadata = protocol.parse_metadata(request.headers.get("upload-metadata"))
        except TusProtocolError as exc:
            raise _fail(400, str(exc)) from exc
        user = current_user(request)
        try:
            await services.check_accepted(request.app.state.resources, user, metadata)
            upload = await services.create_upload(
                request.app.state.settings, user, length, metadata
            )
        except services.UploadError as exc:
            raise _fail(exc.status, exc.message) from exc
        if request.headers.get("content-length", "0") != "0" and _is_offset_stream(request):
            upload = await _append(request, upload, 0)
        headers = _upload_headers(upload)
        headers["Location"] = f"{str(request.base_url).rstrip('/')}/uploads/{upload.uid}"
        return Response(_NO_BODY, status_code=HTTP_201_CREATED, headers=headers)

    @head("/{upload_id:str}", guards=[creators_only])
    async def offset(
        self, request: Request[Any, Any, Any], upload_id: FromPath[str]
    ) -> Response[None]:
        """The offset to resume from."""
        _check_version(request)
        upload = await _own_upload(request, upload_id)
        _live(upload)
        return Response(_NO_BODY, status_code=HTTP_200_OK, headers=_upload_headers(upload))

    @patch(
        "/{upload_id:str}",
        guards=[creators_only],
        request_max_body_size=None,
        status_code=HTTP_204_NO_CONTENT,
    )
    async def append(
        self, request: Request[Any, Any, Any], upload_id: FromPath[str]
    ) -> Response[None]:
        """Append the body at ``Upload-Offset``."""
        _check_version(request)
        if not _is_offset_stream(request):
            raise _fail(
                415,
                gettext("Send Content-Type: %(type)s.", type=protocol.OFFSET_CONTENT_TYPE),
            )
        try:
            offset = protocol.parse_non_negative(
                request.headers.get("upload-offset"), "Upload-Offset"
            )
        except TusProtocolError as exc:
            raise _fail(400, str(exc)) from exc
        upload = await _own_upload(request, upload_id)
        _live(upload)
        upload = await _append(request, upload, offset)
        return Response(_NO_BODY, status_code=HTTP_204_NO_CONTENT, headers=_upload_headers(upload))

    @delete("/{upload_id:str}", guards=[creators_only], status_code=HTTP_204_NO_CONTENT)
    async def terminate(
        self, request: Request[Any, Any, Any], upload_id: FromPath[str]
    ) -> Response[None]:
        """Termination: drop the upload and its partial data."""
        _check_version(request)
        upload = await _own_upload(request, upload_id)
        if upload.status != "uploading":
            raise _fail(409, gettext("This upload is complete; delete the video instead."))
        await services.terminate(request.app.state.settings, upload)
        return Response(_NO_BODY, status_code=HTTP_204_NO_CONTENT, headers=base_headers())


class UploadApiController(Controller):
    """JSON status of one upload, for scripts and the upload page."""

    path = "/api/uploads"
    tags = ["uploads"]

    @get("/{upload_id:str}", guards=[creators_only])
    async def status(
        self, request: Request[Any, Any, Any], upload_id: FromPath[str]
    ) -> dict[str, Any]:
        """Status (``uploading``, ``complete``, ``failed`` or ``expired``) and, once
        complete, the public id of the video (``video_id``) and its processing status."""
        upload = await _own_upload(request, upload_id)
        video = None
        if upload.video is not None:
            video = await Video.objects().where(Video.id == upload.video).first()
        status = "expired" if services.is_expired(upload) else upload.status
        return {
            "id": upload.uid,
            "status": status,
            "offset": upload.received,
            "length": upload.length,
            "expires_at": upload.expires_at.isoformat() if status == "uploading" else None,
            "failure_reason": upload.failure_reason or None,
            "video_id": video.slug if video else None,
            "video_status": video.status if video else None,
        }
