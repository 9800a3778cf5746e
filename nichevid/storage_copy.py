"""Copying every stored file from one storage backend to another (``nichevid storage copy``).

An operator moving media (local disk to a bucket, one bucket to another) copies
first, switches ``[storage] backend`` after, and keeps the source until the new
backend has served for a while: a copy never deletes or changes anything in the
source. It can be stopped and run again: files already in the target with the
same size are skipped, so a second run copies only what the first did not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from nichevid.storage import NotFound, Storage, StorageError


@dataclass
class CopyReport:
    """What a copy did: counts, bytes and the files that failed (with why)."""

    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def seen(self) -> int:
        """Files looked at so far."""
        return self.copied + self.skipped + len(self.failed)


async def _target_size(target: Storage, key: str) -> int | None:
    try:
        return await target.size(key)
    except NotFound:
        return None


async def copy_all(
    source: Storage,
    target: Storage,
    *,
    prefix: str = "",
    dry_run: bool = False,
    progress: Callable[[CopyReport, str], None] | None = None,
) -> CopyReport:
    """Copy every file of ``source`` under ``prefix`` that ``target`` lacks.

    A file whose copy fails (or arrives with another size) is recorded in
    ``failed`` and the copy goes on; a failure to list ``source`` stops it.

    Args:
        source: Where the files are now.
        target: Where they go.
        prefix: Only keys starting with it.
        dry_run: Count what would be copied, copy nothing.
        progress: Called after each file with the report so far and the key.
    """
    report = CopyReport()
    async for item in source.list(prefix):
        key = item.key
        try:
            if await _target_size(target, key) == item.size:
                report.skipped += 1
            elif dry_run:
                report.copied += 1
                report.copied_bytes += item.size
            else:
                written = await target.put(key, source.open(key))
                if written != item.size or await target.size(key) != item.size:
                    raise StorageError(
                        f"the copy of {key!r} has {written} bytes instead of {item.size}"
                    )
                report.copied += 1
                report.copied_bytes += item.size
        except StorageError as exc:
            report.failed.append((key, str(exc)))
        if progress is not None:
            progress(report, key)
    return report
