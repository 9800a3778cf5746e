"""Default storage: files on local disk under ``<data_dir>/media``, written atomically.

A file being written carries a backslash in its name: no key may contain one
(:func:`nichevid.storage.check_key`), so it never clashes with a key and is never listed.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import stat
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nichevid.plugins import hookimpl
from nichevid.settings import Settings
from nichevid.storage import CHUNK_SIZE, NotFound, Storage, StorageError, StoredObject, check_key


class LocalStorage(Storage):
    """Media on the local file system, served by the app (or nginx via X-Accel-Redirect)."""

    name = "local"

    @property
    def signed_by_media_route(self) -> bool:
        """Local files are served by the media route, which checks the core's signature."""
        return True

    @property
    def on_local_disk(self) -> bool:
        """The files are under the data folder, where nginx's internal location points."""
        return True

    def __init__(self, root: Path, url_prefix: str = "/media") -> None:
        self.root = root.resolve()
        self.url_prefix = url_prefix.rstrip("/")
        self.root.mkdir(parents=True, exist_ok=True)

    def describe(self) -> str:
        return f"{self.name}: {self.root}"

    def path(self, key: str) -> Path:
        """The file holding ``key`` (which may not exist)."""
        return self.root / check_key(key)

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StorageError(self._clash(key)) from None
        if target.is_dir():
            raise StorageError(self._clash(key))
        tmp = target.with_name(f".{target.name}\\{secrets.token_hex(6)}.part")
        size = 0
        try:
            with tmp.open("wb") as fh:
                async for chunk in chunks:
                    await asyncio.to_thread(fh.write, chunk)
                    size += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                tmp.replace(target)
            except IsADirectoryError:  # a folder appeared meanwhile
                raise StorageError(self._clash(key)) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return size

    def _clash(self, key: str) -> str:
        parts = key.split("/")
        for depth in range(1, len(parts)):
            above = "/".join(parts[:depth])
            if (self.root / above).is_file():
                return f"cannot store {key!r}: {above!r} is an object, so it cannot hold others"
        return f"cannot store {key!r}: it is a folder of other objects; delete those first"

    async def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        target = self.path(key)
        try:
            fh = target.open("rb")
        # A folder, or a path through a file, holds no object either.
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(f"no object {key!r}") from exc
        with fh:
            fh.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await asyncio.to_thread(fh.read, want)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def delete(self, key: str) -> bool:
        target = self.path(key)
        if target.is_dir():
            return False
        try:
            target.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False
        # Remove emptied parent folders up to the root so deletion leaves nothing behind.
        parent = target.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        return True

    async def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    async def size(self, key: str) -> int:
        try:
            found = self.path(key).stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound(f"no object {key!r}") from exc
        if not stat.S_ISREG(found.st_mode):
            raise NotFound(f"no object {key!r}")
        return found.st_size

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        for dirpath, _dirs, files in os.walk(self.root):
            for filename in sorted(files):
                if "\\" in filename:  # being written (see put); never a key
                    continue
                full = Path(dirpath) / filename
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield StoredObject(key, full.stat().st_size)

    async def url(self, key: str, *, expires_in: int | None = None) -> str:
        # Encoded, so "#", "?" or "%" in a key stay part of the path.
        return f"{self.url_prefix}/{quote(check_key(key))}"

    async def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"media directory {self.root} is not writable")


@hookimpl(trylast=True)
def storage_backend(settings: Settings) -> Storage:
    """Local disk under the data directory."""
    return LocalStorage(settings.data_dir / "media")


@hookimpl
def register_storage_backends() -> dict[str, Any]:
    """Name the local backend so settings and listings can refer to it."""
    return {"local": lambda settings: LocalStorage(settings.data_dir / "media")}


class NamedStorage:
    """Answers ``storage_backend`` with the backend ``storage.backend`` names, when set.

    It runs first (``tryfirst``) and answers only when an operator picked a backend
    by name, so the plugin answers and the local default apply otherwise.
    """

    def __init__(self, pm: Any) -> None:
        self.pm = pm

    def factories(self) -> dict[str, Any]:
        """Every named backend: ``{name: factory(settings) -> Storage}``."""
        from nichevid.plugins import collect_mappings

        return collect_mappings(self.pm.hook.register_storage_backends)

    @hookimpl(tryfirst=True)
    def storage_backend(self, settings: Settings) -> Storage | None:
        """The backend named by ``storage.backend``, or ``None`` to let others answer."""
        name = settings.storage.backend
        if not name:
            return None
        factories = self.factories()
        if name not in factories:
            from nichevid.settings import ConfigError

            raise ConfigError(
                f"storage.backend {name!r} is not registered by any enabled plugin "
                f"(registered: {', '.join(sorted(factories)) or 'none'})"
            )
        storage: Storage = factories[name](settings)
        return storage


@hookimpl
def register_cli_commands() -> list[Any]:
    """``nichevid storage check`` and ``nichevid storage copy``."""
    from nichevid.storage_cli import storage_group

    return [storage_group]
