"""Media pipeline benchmark: time to first playable, and the ladder against bare ffmpeg.

    python -m bench.pipeline                    # 60 s 1080x1920 sources, 3 rounds
    python -m bench.pipeline --seconds 10 --rounds 1

One ``nichevid`` server (embedded shape: SQLite, the in-process job runner with its
default two jobs at once, local storage) runs on 127.0.0.1 in its own process, with
a creator account and an API token made through ``nichevid user``. Two sources are
made once with ffmpeg and kept under ``bench/results/sources/``: a web-compatible
phone-like file (H.264 High + AAC in MP4, index at the end) and an incompatible one
(HEVC + AAC). Both are ``--seconds`` long, 1080x1920, 30 fps, a moving test picture
with grain so the encoders have real work.

* **First playable.** The compatible file is sent with tus (``PATCH`` requests of 8
  MiB); the clock starts just before the last ``PATCH`` (64 KiB) and stops when
  ``GET /api/videos/{id}`` first says ``ready`` (polled every 20 ms); the rendition
  URL is then fetched to check it plays. Rounds delete their video.
* **Ladder.** The HEVC file is uploaded the same way; the clock runs from the end of
  the upload until the API lists every rendition of the ladder and the poster. The
  same run then times the bare ffmpeg commands that make the same outputs (every
  rendition, the poster frame, the preview strip), built by the same functions the
  pipeline uses and run two at a time and at the same low priority, as the job
  runner runs them. The order of the two alternates between rounds. The report
  gives medians and their ratio.

Results go to ``bench/results/<time>-<label>.json`` and a table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import RESULTS_DIR, LoadError, serve
from bench.upload import PASSWORD, api_call, machine_facts, nichevid_cli
from nichevid.media.images import candidate_times, frame_args, strip_args
from nichevid.media.probe import Probe, probe
from nichevid.media.settings import MediaSettings
from nichevid.media.tools import ffmpeg_exe, nice_prefix
from nichevid.media.transcode import command, picture_filters, plan_ladder
from nichevid.testing.servers import no_settings_file

MIB = 1024**2
CHUNK = 8 * MIB
LAST = 64 * 1024
POLL = 0.02
SOURCES = RESULTS_DIR / "sources"


# -- sources ---------------------------------------------------------------------------------


def make_source(kind: str, seconds: int) -> Path:
    """The ``compatible`` (H.264/AAC) or ``hevc`` source, made once and kept."""
    SOURCES.mkdir(parents=True, exist_ok=True)
    path = SOURCES / f"{kind}-{seconds}s-1080x1920.mp4"
    if path.exists():
        return path
    picture = f"testsrc2=size=1080x1920:rate=30:duration={seconds},noise=alls=12:allf=t+u"
    video = (
        ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "23",
         "-maxrate", "4000k", "-bufsize", "8000k", "-pix_fmt", "yuv420p"]
        if kind == "compatible"
        else ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "26", "-tag:v", "hvc1",
              "-pix_fmt", "yuv420p"]
    )  # fmt: skip
    print(f"making the {kind} source ({seconds} s, once)", file=sys.stderr, flush=True)
    tmp = path.with_suffix(".part.mp4")
    tone = f"sine=frequency=440:duration={seconds}"
    subprocess.run(
        [ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", tone,
         *video, "-c:a", "aac", "-b:a", "128k", "-shortest", str(tmp)],
        check=True, timeout=3600,
    )  # fmt: skip
    tmp.replace(path)
    return path


# -- uploading and waiting -------------------------------------------------------------------


def _request(method: str, url: str, token: str, body: bytes = b"", **headers: str) -> Any:
    request = urllib.request.Request(url, data=body or None, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Tus-Resumable", "1.0.0")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        raise LoadError(f"{method} {url} answered {exc.code}: {exc.read()[:300]!r}") from exc


def upload(base: str, token: str, path: Path) -> tuple[str, float]:
    """Upload ``path`` with tus, the last 64 KiB alone; return the upload id and the
    ``perf_counter`` just before that last request."""
    size = path.stat().st_size
    _, headers = _request(
        "POST", f"{base}/uploads/", token,
        Upload_Length=str(size),
        Upload_Metadata="filename " + _b64(path.name) + ",visibility " + _b64("private"),
    )  # fmt: skip
    location = headers["Location"]
    offset = 0
    started = 0.0
    with path.open("rb") as source:
        while offset < size:
            left = size - offset
            length = LAST if left <= LAST else min(CHUNK, left - LAST)
            chunk = source.read(length)
            if offset + length == size:
                started = time.perf_counter()
            _request(
                "PATCH", location, token, chunk,
                Upload_Offset=str(offset), Content_Type="application/offset+octet-stream",
            )  # fmt: skip
            offset += length
    return location.rstrip("/").rsplit("/", 1)[-1], started


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def video_of(base: str, token: str, upload_id: str, limit: float = 60.0) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        code, body = api_call(base, token, f"/api/uploads/{upload_id}")
        if code == 200 and body.get("video_id"):
            return str(body["video_id"])
        time.sleep(POLL)
    raise LoadError(f"upload {upload_id} gave no video within {limit:.0f} s")


def wait_for(base: str, token: str, video_id: str, done: Any, limit: float) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        code, body = api_call(base, token, f"/api/videos/{video_id}")
        if code != 200:
            raise LoadError(f"GET /api/videos/{video_id} answered {code}: {body!r}")
        if body["status"] == "failed":
            raise LoadError(f"video {video_id} failed: {body['failure_reason']}")
        if done(body):
            return dict(body)
        time.sleep(POLL)
    raise LoadError(f"video {video_id} was not done within {limit:.0f} s")


def remove(base: str, token: str, video_id: str) -> None:
    code, body = api_call(base, token, f"/api/videos/{video_id}", method="DELETE")
    if code != 204:
        raise LoadError(f"DELETE /api/videos/{video_id} answered {code}: {body!r}")


# -- the bare commands -----------------------------------------------------------------------


def bare_commands(source: Path, found: Probe, out: Path) -> list[list[str]]:
    """The ffmpeg runs that make what the pipeline makes, in the order it queues them."""
    settings = MediaSettings()
    plans = plan_ladder(found, settings)
    top = max(plans, key=lambda p: min(p.width, p.height))
    lowest = min(plans, key=lambda p: min(p.width, p.height))
    at = candidate_times(found.duration_ms, settings.poster_at)[0]
    runs = [command(source, out / f"{p.label}.mp4", p, found, settings) for p in plans]
    poster = frame_args(source, at, settings, picture_filters(found, top))
    strip = strip_args(out / f"{lowest.label}.mp4", found.duration_ms, settings)
    return [runs[0], poster, *runs[1:], strip]


async def _run_all(commands: list[list[str]], at_once: int) -> None:
    slots = asyncio.Semaphore(at_once)
    strip = commands[-1]

    async def one(args: list[str]) -> None:
        async with slots:
            proc = await asyncio.create_subprocess_exec(
                *nice_prefix(), *args,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, err = await proc.communicate()
            if proc.returncode:
                raise LoadError(f"{' '.join(args[:3])}... failed: {err.decode()[-300:]}")

    await asyncio.gather(*(one(args) for args in commands[:-1]))
    await one(strip)


def time_bare(source: Path, found: Probe, at_once: int) -> float:
    out = Path(tempfile.mkdtemp(prefix="nichevid-bare-"))
    try:
        commands = bare_commands(source, found, out)
        started = time.perf_counter()
        asyncio.run(_run_all(commands, at_once))
        return time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)


# -- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = datetime.now(UTC)
    compatible = make_source("compatible", args.seconds)
    hevc = make_source("hevc", args.seconds)
    hevc_found = asyncio.run(probe(hevc, MediaSettings()))
    ladder = [p.label for p in plan_ladder(hevc_found, MediaSettings())]
    first: list[float] = []
    pipeline: list[float] = []
    bare: list[float] = []
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-pipeline-bench-"))
        stack.callback(shutil.rmtree, workdir, True)
        (workdir / "data").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
        # Only the settings the bench chooses: no nichevid.toml of the folder it runs from.
        env["NICHEVID_CONFIG"] = str(no_settings_file())
        env.update(
            NICHEVID_DATA_DIR=str(workdir / "data"),
            NICHEVID_SECRET_KEY="pipeline-bench-secret-key",
            NICHEVID_LOG_LEVEL="WARNING",
            NICHEVID_LOAD_PLUGINS="",
        )
        nichevid_cli(env, "migrate")
        nichevid_cli(env, "user", "create", "bench", "--role", "creator", "--password-stdin",
             stdin=PASSWORD + "\n")  # fmt: skip
        token = nichevid_cli(env, "user", "token", "bench").strip().splitlines()[-1].strip()
        server = stack.enter_context(
            serve("nichevid", ["nichevid.app:app_from_env", "--factory"], env, "/healthz", workdir)
        )
        base = server.base
        facts = machine_facts()
        for index in range(args.rounds):
            upload_id, t0 = upload(base, token, compatible)
            video_id = video_of(base, token, upload_id)
            body = wait_for(base, token, video_id, lambda b: b["status"] == "ready", 60)
            first.append(time.perf_counter() - t0)
            with urllib.request.urlopen(base + body["renditions"][0]["url"], timeout=30) as r:
                if r.status != 200 or r.read(8)[4:8] != b"ftyp":
                    raise LoadError("the first rendition does not start like an MP4 file")
            wait_for(base, token, video_id, lambda b: _complete(b, None), 1800)
            remove(base, token, video_id)
            print(f"round {index + 1}: first playable {first[-1]:.2f} s", file=sys.stderr)

            order = ["pipeline", "bare"] if index % 2 == 0 else ["bare", "pipeline"]
            for which in order:
                if which == "bare":
                    bare.append(time_bare(hevc, hevc_found, args.at_once))
                    print(f"round {index + 1}: bare ffmpeg {bare[-1]:.1f} s", file=sys.stderr)
                    continue
                upload_id, _ = upload(base, token, hevc)
                t1 = time.perf_counter()
                video_id = video_of(base, token, upload_id)
                wait_for(base, token, video_id, lambda b: _complete(b, ladder), 3600)
                pipeline.append(time.perf_counter() - t1)
                remove(base, token, video_id)
                print(f"round {index + 1}: pipeline {pipeline[-1]:.1f} s", file=sys.stderr)
        facts["loadavg_after"] = os.getloadavg()
    ratio = statistics.median(pipeline) / statistics.median(bare)
    table = (
        "\n".join(
            [
                "| measure | rounds | median | all |",
                "|---|---:|---:|---|",
                f"| first playable after upload, compatible {args.seconds} s 1080x1920 H.264/AAC "
                f"| {len(first)} | {statistics.median(first):.2f} s | "
                f"{', '.join(f'{x:.2f}' for x in first)} |",
                f"| whole ladder ({', '.join(ladder)}) + poster + strip, HEVC source, pipeline "
                f"| {len(pipeline)} | {statistics.median(pipeline):.1f} s | "
                f"{', '.join(f'{x:.1f}' for x in pipeline)} |",
                f"| the same outputs, bare ffmpeg, {args.at_once} at a time | {len(bare)} | "
                f"{statistics.median(bare):.1f} s | {', '.join(f'{x:.1f}' for x in bare)} |",
            ]
        )
        + f"\n\npipeline / bare ffmpeg: **{ratio:.3f}**"
    )
    return {
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench.pipeline " + " ".join(sys.argv[1:]),
        "seconds": args.seconds,
        "machine": facts,
        "first_playable_s": first,
        "pipeline_s": pipeline,
        "bare_s": bare,
        "ladder": ladder,
        "pipeline_over_bare": ratio,
        "markdown": table,
    }


def _complete(body: dict[str, Any], ladder: list[str] | None) -> bool:
    """Every planned rendition, the poster and the strip are there."""
    labels = [r["label"] for r in body.get("renditions") or []]
    planned = ladder if ladder is not None else body.get("ladder") or labels
    return bool(body.get("poster")) and bool(body.get("strip")) and set(planned) <= set(labels)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pipeline", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--seconds", type=int, default=60, help="length of the sources")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--at-once", type=int, default=2, help="bare ffmpeg runs at once")
    parser.add_argument("--label", default="pipeline", help="name of the results file")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 600 or not 1 <= args.rounds <= 10 or args.at_once < 1:
        parser.error("--seconds must be 1..600, --rounds 1..10, --at-once >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS_DIR / f"{stamp}-{args.label}.json").write_text(json.dumps(result, indent=2))
    print(result["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
