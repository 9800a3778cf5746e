"""S3-compatible object storage: a :class:`~nichevid.storage.Storage` over one bucket.

Requests go through aiobotocore (botocore's signing, retries and error parsing,
asynchronous); addresses for browsers are signed with botocore itself. Every
method raises :class:`~nichevid.storage.StorageError` naming the key and what S3
answered; a missing object is :class:`~nichevid.storage.NotFound`.

Puts are atomic as the contract asks: a stream up to ``part_size`` goes up in one
``PutObject``; a longer one as a multipart upload, which S3 shows only once it is
completed and which is aborted when the stream fails or the put is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any
from urllib.parse import quote

from nichevid.storage import (
    CHUNK_SIZE,
    NotFound,
    Storage,
    StorageError,
    StoredObject,
    check_key,
    content_type,
)
from nichevid_storage_s3.settings import PRESIGN_MAX_SECONDS, S3Settings

# What S3 servers answer for a key that is not there (a HEAD answer carries no code
# but its status). A missing bucket is an error, not a missing object.
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
NO_BUCKET = frozenset({"NoSuchBucket", "404", "NotFound"})
# How many object sizes a process keeps at most (a few MB).
SIZE_CACHE_ENTRIES = 20_000
DENIED = frozenset(
    {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"}
)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _reason(exc: Exception) -> str:
    """What S3 (or the connection) said, in one line."""
    response = getattr(exc, "response", None)
    if response:
        error = response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        return f"{code}: {message}" if message and message != code else str(code or exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


_sessions: dict[str, Any] = {}


def shared_session(kind: str) -> Any:
    """One aiobotocore (``"async"``) or botocore (``"sync"``) session per process.

    A session caches the S3 service description it loads for its first client (a
    large file); every client of the process shares it.
    """
    if kind not in _sessions:
        if kind == "async":
            from aiobotocore.session import get_session
        else:
            from botocore.session import get_session
        _sessions[kind] = get_session()
    return _sessions[kind]


class S3Storage(Storage):
    """Media in one bucket of an S3-compatible object store.

    Args:
        config: The validated ``[plugin.s3]`` settings.
        media_prefix: The core's media route, for ``serve = "proxy"`` addresses.
    """

    name = "s3"

    def __init__(self, config: S3Settings, media_prefix: str = "/media") -> None:
        self.config = config
        self.media_prefix = media_prefix.rstrip("/")
        self._client: Any = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._signer: Any = None
        # key -> (until, size): sizes the media route asked for lately (see ``size``).
        self._sizes: dict[str, tuple[float, int]] = {}

    # ------------------------------------------------------------------ clients

    def _client_args(self, endpoint_url: str) -> dict[str, Any]:
        from botocore.config import Config

        config = self.config
        args: dict[str, Any] = {
            "region_name": config.region,
            "config": Config(
                signature_version="s3v4",
                s3={"addressing_style": config.addressing_style},
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                retries={"max_attempts": config.max_attempts, "mode": "standard"},
                # Checksums only where S3 requires them: many S3-compatible servers
                # refuse the newer default trailers.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        }
        if endpoint_url:
            args["endpoint_url"] = endpoint_url
        if config.access_key_id:
            args["aws_access_key_id"] = config.access_key_id
            args["aws_secret_access_key"] = config.secret_access_key.reveal()
        return args

    async def client(self) -> Any:
        """The aiobotocore client of the running event loop (made on first use)."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is loop:
            return self._client
        if self._lock is None or self._loop is not loop:
            # A client belongs to the loop it was made in (tests run several loops).
            self._lock, self._loop, self._client, self._stack = asyncio.Lock(), loop, None, None
        async with self._lock:
            if self._client is None:
                stack = contextlib.AsyncExitStack()
                creator = shared_session("async").create_client(
                    "s3", **self._client_args(self.config.endpoint_url)
                )
                self._client = await stack.enter_async_context(creator)
                self._stack = stack
        return self._client

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None and self._loop is asyncio.get_running_loop():
            await stack.aclose()

    def _presigner(self) -> Any:
        if self._signer is None:
            endpoint = self.config.browser_endpoint_url or self.config.endpoint_url
            self._signer = shared_session("sync").create_client(
                "s3", **self._client_args(endpoint)
            )
        return self._signer

    # -------------------------------------------------------------------- names

    def _name(self, key: str) -> str:
        """The object name of ``key`` in the bucket (checked, with the prefix)."""
        return self.config.prefix + check_key(key)

    def _failed(self, exc: Exception, doing: str, key: str) -> StorageError:
        if _code(exc) in MISSING:
            return NotFound(f"no object {key!r}")
        return StorageError(
            f"S3 could not {doing} {key!r} in bucket {self.config.bucket!r}: {_reason(exc)}"
        )

    # ---------------------------------------------------------------- interface

    def describe(self) -> str:
        config = self.config
        where = config.endpoint_url or f"Amazon S3 {config.region}"
        return f"{self.name}: {config.bucket}/{config.prefix} @ {where} ({config.serve})"

    @property
    def signed_by_media_route(self) -> bool:
        """With ``serve = "proxy"`` the media route serves files and checks signatures."""
        return self.config.serve == "proxy"

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        self._sizes.pop(key, None)
        client = await self.client()
        bucket, part_size = self.config.bucket, self.config.part_size
        common = {"Bucket": bucket, "Key": name}
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []

        async def send_part(data: bytes) -> None:
            number = len(parts) + 1
            answer = await client.upload_part(
                **common, UploadId=upload_id, PartNumber=number, Body=data
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        try:
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= part_size:
                    if upload_id is None:
                        started = await client.create_multipart_upload(
                            **common, ContentType=content_type(key)
                        )
                        upload_id = started["UploadId"]
                    await send_part(bytes(buffer[:part_size]))
                    del buffer[:part_size]
            if upload_id is None:
                await client.put_object(**common, Body=bytes(buffer), ContentType=content_type(key))
            else:
                if buffer:
                    await send_part(bytes(buffer))
                await client.complete_multipart_upload(
                    **common, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
        except BaseException as exc:
            if upload_id is not None:
                # Nothing of a failed put may stay: the parts are dropped with the upload.
                with contextlib.suppress(Exception):
                    await client.abort_multipart_upload(**common, UploadId=upload_id)
            if isinstance(exc, ClientError | BotoCoreError):
                raise StorageError(
                    f"S3 could not store {key!r} in bucket {bucket!r}: {_reason(exc)}"
                ) from exc
            raise
        self._sizes.pop(key, None)
        return size

    async def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        client = await self.client()
        request: dict[str, Any] = {"Bucket": self.config.bucket, "Key": name}
        if start > 0 or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            answer = await client.get_object(**request)
        except ClientError as exc:
            if _code(exc) in ("InvalidRange", "416"):
                # A start at or past the end: nothing to read, if the object exists.
                self._sizes.pop(key, None)
                await self.size(key)
                return
            raise self._failed(exc, "read", key) from exc
        except BotoCoreError as exc:
            raise self._failed(exc, "read", key) from exc
        self._learn_size(key, answer)
        async with answer["Body"] as body:
            try:
                async for chunk in body.iter_chunks(CHUNK_SIZE):
                    yield chunk
            except (ClientError, BotoCoreError) as exc:
                raise self._failed(exc, "read", key) from exc

    async def _head(self, key: str) -> dict[str, Any] | None:
        """The object's metadata, or ``None`` when it does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        client = await self.client()
        try:
            head: dict[str, Any] = await client.head_object(Bucket=self.config.bucket, Key=name)
        except (ClientError, BotoCoreError) as exc:
            failure = self._failed(exc, "look up", key)
            if isinstance(failure, NotFound):
                return None
            raise failure from exc
        return head

    async def delete(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        self._sizes.pop(key, None)
        if await self._head(key) is None:
            return False
        client = await self.client()
        try:
            await client.delete_object(Bucket=self.config.bucket, Key=self._name(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._failed(exc, "delete", key) from exc
        return True

    async def exists(self, key: str) -> bool:
        return await self._head(key) is not None

    async def size(self, key: str) -> int:
        """The object's size; kept ``size_cache_seconds`` for the next ranges of a file.

        A player asks for many ranges of one file in a row, and each would otherwise
        cost a ``HEAD`` before its ``GET``. Every ``GET`` answer carries the object's
        real size, which replaces a kept one that differs (a file replaced meanwhile
        by another process), so a stale size serves at most one request.
        """
        kept = self._sizes.get(check_key(key))
        now = time.monotonic()
        if kept is not None and kept[0] > now:
            return kept[1]
        head = await self._head(key)
        if head is None:
            self._sizes.pop(key, None)
            raise NotFound(f"no object {key!r}")
        size = int(head["ContentLength"])
        self._keep_size(key, size, now)
        return size

    def _keep_size(self, key: str, size: int, now: float) -> None:
        if self.config.size_cache_seconds <= 0:
            return
        if len(self._sizes) >= SIZE_CACHE_ENTRIES:
            self._sizes.clear()
        self._sizes[key] = (now + self.config.size_cache_seconds, size)

    def _learn_size(self, key: str, answer: dict[str, Any]) -> None:
        """Correct a kept size from a ``GET`` answer (``Content-Range: bytes a-b/size``)."""
        if key not in self._sizes:
            return
        total = str(answer.get("ContentRange", "")).rpartition("/")[2]
        size = int(total) if total.isdigit() else answer.get("ContentLength")
        if size is not None and self._sizes[key][1] != int(size):
            self._sizes.pop(key, None)

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        from botocore.exceptions import BotoCoreError, ClientError

        client = await self.client()
        skip = len(self.config.prefix)
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=self.config.bucket, Prefix=self.config.prefix + prefix
        )
        try:
            async for page in pages:
                for item in page.get("Contents", []):
                    if not item["Key"].startswith(self.config.prefix):
                        continue
                    key = item["Key"][skip:]
                    if not key.startswith(prefix):
                        continue  # some servers normalise "a/../" prefixes
                    try:
                        check_key(key)
                    except StorageError:
                        continue  # not nichevid's: no key of ours looks like this
                    yield StoredObject(key, int(item["Size"]))
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(
                f"S3 could not list {prefix!r} in bucket {self.config.bucket!r}: {_reason(exc)}"
            ) from exc

    async def delete_prefix(self, prefix: str) -> int:
        """Delete in batches of up to 1,000 keys (one ``DeleteObjects`` each)."""
        from botocore.exceptions import BotoCoreError, ClientError

        keys = [obj.key async for obj in self.list(prefix)]
        for key in keys:
            self._sizes.pop(key, None)
        client = await self.client()
        for first in range(0, len(keys), 1000):
            batch = [{"Key": self.config.prefix + key} for key in keys[first : first + 1000]]
            try:
                answer = await client.delete_objects(
                    Bucket=self.config.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            except (ClientError, BotoCoreError) as exc:
                raise StorageError(
                    f"S3 could not delete {prefix!r} in bucket {self.config.bucket!r}: "
                    f"{_reason(exc)}"
                ) from exc
            errors = answer.get("Errors") or []
            if errors:
                first_error = errors[0]
                raise StorageError(
                    f"S3 could not delete {first_error.get('Key')!r} in bucket "
                    f"{self.config.bucket!r}: {first_error.get('Code')}: "
                    f"{first_error.get('Message')}"
                )
        return len(keys)

    async def url(self, key: str, *, expires_in: int | None = None) -> str:
        """The media route's address (``proxy``), or an S3-signed one (``presign``)."""
        if self.config.serve == "proxy":
            # Encoded as local disk encodes it, so "#", "?" or "%" stay in the path.
            return f"{self.media_prefix}/{quote(check_key(key))}"
        seconds = self.config.presign_seconds if expires_in is None else expires_in
        url: str = self._presigner().generate_presigned_url(
            "get_object",
            Params={"Bucket": self.config.bucket, "Key": self._name(key)},
            ExpiresIn=max(1, min(seconds, PRESIGN_MAX_SECONDS)),
        )
        return url

    async def check_writable(self) -> None:
        """Write and delete a small file of our own, so a read-only key stops start-up
        instead of the first upload. Its name holds a backslash, which no key may, so
        it is never listed."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = await self.client()
        name = f"{self.config.prefix}.nichevid-check\\{secrets.token_hex(8)}"
        try:
            await client.put_object(Bucket=self.config.bucket, Key=name, Body=b"ok")
            await client.delete_object(Bucket=self.config.bucket, Key=name)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(
                f"S3 refused to write a test file to bucket {self.config.bucket!r} "
                f"({_reason(exc)}): check that plugin.s3.access_key_id may write and delete "
                "in the bucket"
            ) from exc

    async def check(self) -> None:
        """Raise :class:`StorageError` saying what to fix when the bucket cannot be used."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        config = self.config
        where = config.endpoint_url or f"Amazon S3 ({config.region})"
        try:
            client = await self.client()
            await client.head_bucket(Bucket=config.bucket)
        except NoCredentialsError as exc:
            raise StorageError(
                "no S3 credentials: set plugin.s3.access_key_id and secret_access_key"
            ) from exc
        except ClientError as exc:
            code = _code(exc)
            if code in NO_BUCKET:
                raise StorageError(
                    f"bucket {config.bucket!r} does not exist at {where}: create it, or fix "
                    "plugin.s3.bucket"
                ) from exc
            if code in DENIED:
                raise StorageError(
                    f"S3 at {where} refused access to bucket {config.bucket!r} ({_reason(exc)}):"
                    " check plugin.s3.access_key_id and secret_access_key, and that this key"
                    " may read and write the bucket"
                ) from exc
            raise StorageError(
                f"S3 at {where} answered {_reason(exc)} for bucket {config.bucket!r}"
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(
                f"cannot reach S3 at {where}: {_reason(exc)}; check plugin.s3.endpoint_url "
                "and that the server runs"
            ) from exc
