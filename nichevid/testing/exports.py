"""Reading one file of a member's data export in tests (core and plugins alike)."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from typing import Any


async def exported_file(resources: Any, run_jobs: Any, user: Any, filename: str) -> Any:
    """Ask for ``user``'s export, run the jobs, and return ``filename`` of it, decoded.

    Args:
        resources: The running resources (``nv_resources``).
        run_jobs: Runs the queued jobs (``nv_run_jobs``).
        user: The member whose export it is.
        filename: The file's name in the archive, such as ``"gifts.json"``.
    """
    from nichevid.privacy import exports

    assert await exports.request_export(resources, user)
    await run_jobs()
    keys = [o.key async for o in resources.storage.list(exports.export_prefix(user.id))]
    with zipfile.ZipFile(BytesIO(await resources.storage.read_bytes(keys[0]))) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(f"/{filename}")]
        return json.loads(archive.read(name))
