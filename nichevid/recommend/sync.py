"""Model files shared through the storage backend, for web processes on other machines.

Training writes a model to its own ``model_dir`` and publishes a copy under
``recommend/models/`` in the instance's storage (never served over HTTP: only
``videos/`` and ``avatars/`` are). Each web process looks there every
``reload_seconds`` and copies a model it does not have into its ``model_dir``,
where :class:`nichevid.recommend.model.ModelHolder` picks it up. On one machine
with local storage both sides see the same file and nothing is copied.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from nichevid.recommend.model import POINTER, ModelFileError, current_file, write_pointer
from nichevid.storage import NotFound

PREFIX = "recommend/models/"
_NAME = re.compile(r"^model-[A-Za-z0-9_.-]+\.npz$")


async def publish(storage: Any, path: Path, keep: int) -> None:
    """Copy the model file ``path`` to storage, point storage's ``current.json`` at it, prune."""
    await storage.put_bytes(PREFIX + path.name, await asyncio.to_thread(path.read_bytes))
    await storage.put_bytes(PREFIX + POINTER, json.dumps({"file": path.name}).encode())
    names = sorted(
        [o.key.removeprefix(PREFIX) async for o in storage.list(PREFIX)],
        reverse=True,
    )
    models = [name for name in names if _NAME.match(name) and name != path.name]
    for name in models[max(0, keep - 1) :]:
        await storage.delete(PREFIX + name)


async def fetch(storage: Any, directory: Path) -> bool:
    """Copy the model storage points at into ``directory`` if it is new; ``True`` when copied.

    Raises:
        ModelFileError: When storage's pointer names no model file.
    """
    try:
        pointer = json.loads(await storage.read_bytes(PREFIX + POINTER))
    except NotFound:
        return False
    except ValueError as exc:
        raise ModelFileError(f"{PREFIX}{POINTER} in storage is unreadable ({exc}).") from exc
    name = pointer.get("file") if isinstance(pointer, dict) else None
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelFileError(f"{PREFIX}{POINTER} in storage names no model file.")
    target = directory / name
    if current_file(directory) == target:
        return False
    there = await asyncio.to_thread(target.exists)
    data = None if there else await storage.read_bytes(PREFIX + name)
    await asyncio.to_thread(_install, directory, name, data)
    return True


def _install(directory: Path, name: str, data: bytes | None) -> None:
    """Write ``data`` as model file ``name`` (unless ``None``: it is there) and point at it."""
    if data is not None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".model-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, directory / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    write_pointer(directory, {"file": name})
