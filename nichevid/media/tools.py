"""Finding and running ffmpeg/ffprobe safely.

Every run reads one local file only: inputs are passed as ``file:<path>`` with the
``file`` protocol alone whitelisted and a whitelist of container formats, so a
playlist or concat file disguised as a video can never make ffmpeg open another
file or a network URL. Runs are bounded in time and started at low priority.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import os
import re
import resource
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from nichevid.media.settings import MediaSettings

PR_SET_PDEATHSIG = 1


class MediaError(Exception):
    """Processing failed; ``str(exc)`` is a reason fit to show the video's owner."""


class ToolError(MediaError):
    """ffmpeg or ffprobe failed or ran out of time."""


@dataclass(frozen=True)
class ToolResult:
    """What a finished ffmpeg/ffprobe run printed."""

    stdout: bytes
    stderr: str


@functools.cache
def _which_ffmpeg() -> str:
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # imageio-ffmpeg raises RuntimeError when it has no binary
        raise MediaError(
            "ffmpeg is not installed: install it (apt-get install ffmpeg) or imageio-ffmpeg"
        ) from exc


def ffmpeg_exe(settings: MediaSettings) -> str:
    """The ffmpeg binary: the configured one, the system one, else imageio-ffmpeg's."""
    return settings.ffmpeg_path or _which_ffmpeg()


def ffprobe_exe(settings: MediaSettings) -> str | None:
    """The ffprobe binary, or ``None`` when only a bundled ffmpeg is available."""
    if settings.ffprobe_path:
        return settings.ffprobe_path
    return shutil.which("ffprobe")


def input_args(path: Path, settings: MediaSettings) -> list[str]:
    """The arguments that open ``path`` as the only, local, input of a run."""
    return [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        ",".join(settings.allowed_formats),
        "-i",
        f"file:{path}",
    ]


_PATH = re.compile(r"(?:file:)?/[^\s:'\"]+")


def redact_paths(text: str) -> str:
    """``text`` with file paths replaced, so messages shown to users reveal no server layout."""
    return _PATH.sub("<file>", text)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _libc() if sys.platform == "linux" else None


def _child_limits(memory_bytes: int) -> None:  # pragma: no cover - runs in the child
    """Before the tool starts: cap its address space, and have it killed when the process
    that started it dies, so a killed worker leaves no ffmpeg behind writing files."""
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def nice_prefix() -> list[str]:
    nice = shutil.which("nice")
    return [nice, "-n", "10"] if nice else []


async def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    await proc.wait()


async def run_tool(
    args: list[str], *, limit: float, what: str, check: bool = True, memory_mb: int = 0
) -> ToolResult:
    """Run ``args`` (binary first) and return its output.

    The tool runs at low priority, with at most ``memory_mb`` MiB of address space
    (0: no cap), and dies with this process.

    Raises:
        ToolError: After ``limit`` seconds, or on a non-zero exit when ``check`` is set (with
            the last lines of stderr).
    """
    proc = await asyncio.create_subprocess_exec(
        *nice_prefix(),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        preexec_fn=functools.partial(_child_limits, memory_mb * 1024 * 1024),
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=limit)
    except TimeoutError:
        await _kill(proc)
        raise ToolError(f"{what} took longer than {limit:.0f} s and was stopped") from None
    except asyncio.CancelledError:
        await _kill(proc)
        raise
    text = stderr.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        tail = " / ".join(redact_paths(line.strip()) for line in text.strip().splitlines()[-3:])
        raise ToolError(f"{what} failed: {tail or f'exit status {proc.returncode}'}")
    return ToolResult(stdout, text)
