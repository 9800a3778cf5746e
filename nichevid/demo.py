"""``nichevid demo``: a few creators and short generated videos, playable when it returns.

Idempotent: users and clips that already exist are kept; a clip whose earlier
processing failed is made again. Clips are generated with ffmpeg's test sources,
so nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from nichevid.media.settings import media_settings
from nichevid.media.tools import MediaError, ToolError, ffmpeg_exe, run_tool

Echo = Callable[[str], Any]


@dataclass(frozen=True)
class DemoUser:
    """A demo creator."""

    username: str
    display_name: str


@dataclass(frozen=True)
class DemoClip:
    """A generated clip: an ffmpeg lavfi video source, a tone, and its caption."""

    owner: str
    source: str
    tone: int
    caption: str
    visibility: str = "public"


USERS = (
    DemoUser("demo_alice", "Alice"),
    DemoUser("demo_bob", "Bob"),
    DemoUser("demo_chen", "Chen"),
)
# In the order the feed shows them (newest first), so they are ingested in reverse.
CLIPS = (
    DemoClip(
        "demo_bob",
        "mandelbrot=maxiter=200:outer=normalized_iteration_count",
        330,
        "Three seconds into infinity #math #fractals",
    ),
    DemoClip("demo_alice", "gradients=speed=0.04:n=4", 523, "Golden hour, rendered #colour #mood"),
    DemoClip(
        "demo_chen", "smptebars", 1000, "Colour bars: the original vertical video #retro #broadcast"
    ),
    DemoClip(
        "demo_bob",
        "life=mold=10:ratio=0.1:life_color=#ff3d6e:death_color=#1a0f24",
        262,
        "Conway's Game of Life, portrait edition #math #cellular",
    ),
    DemoClip(
        "demo_alice",
        "testsrc2",
        440,
        "Calibrating the studio before the first shoot #setup #behindthescenes",
    ),
    DemoClip(
        "demo_chen",
        "sierpinski=type=carpet:jump=2",
        660,
        "A carpet that never ends #generative #geometry",
    ),
)
# Seeded when the gifts and subscriptions plugins are on: open to every tier of its owner.
SUBSCRIBERS_CLIP = DemoClip(
    "demo_alice",
    "cellauto=rule=110:scroll=1",
    587,
    "Studio diary, for subscribers only #behindthescenes",
    "subscribers",
)
SIZE = "360x640"


async def generate_clip(clip: DemoClip, target: Path, settings: Any, seconds: float = 3.5) -> Path:
    """Render ``clip`` as an H.264/AAC MP4 at ``target`` (testsrc2 if its source is missing)."""
    for source in (clip.source, "testsrc2"):
        sep = ":" if "=" in source else "="
        args = [
            ffmpeg_exe(settings),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{source}{sep}size={SIZE}:rate=30",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={clip.tone}:sample_rate=44100",
            "-t",
            f"{seconds}",
            "-c:v",
            "libx264",
            "-profile:v",
            "high",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-movflags",
            "+faststart",
            str(target),
        ]
        try:
            await run_tool(args, limit=120, what=f"generating {source.split('=')[0]}")
            return target
        except ToolError:
            if source == "testsrc2":
                raise
    raise MediaError("could not generate a demo clip")  # pragma: no cover - loop returns or raises


async def ensure_users(resources: Any, echo: Echo) -> dict[str, Any]:
    """Create the demo creators that do not exist yet; print new passwords once."""
    from nichevid.accounts import services as accounts

    users: dict[str, Any] = {}
    for spec in USERS:
        user = await accounts.get_user_by_username(spec.username)
        if user is None:
            password = secrets.token_urlsafe(12)
            user = await accounts.create_user(
                resources.settings,
                resources.pm,
                username=spec.username,
                email=f"{spec.username}@example.com",
                password=password,
                role="creator",
                display_name=spec.display_name,
            )
            echo(f"  created {spec.username} (password: {password})")
        else:
            echo(f"  {spec.username} already exists")
        users[spec.username] = user
    return users


async def ensure_videos(
    resources: Any,
    users: dict[str, Any],
    echo: Echo,
    *,
    seconds: float = 3.5,
    clips: tuple[DemoClip, ...] = CLIPS,
) -> list[int]:
    """Ingest the demo clips that are missing; return the ids of every demo video."""
    from nichevid.media import services as media

    settings = media_settings(resources.settings)
    ids: list[int] = []
    with tempfile.TemporaryDirectory(prefix="nichevid-demo-") as tmp:
        for index, clip in enumerate(reversed(clips), 1):
            owner = users[clip.owner]
            existing = [v for v in await media.videos_of(owner) if v.caption == clip.caption]
            keep = next((v for v in existing if v.status in ("ready", "processing")), None)
            for video in existing:
                if video is not keep:
                    await media.delete_video(resources, video)
            if keep is not None:
                if keep.status == "processing":
                    await media.enqueue_processing(resources, keep.id)
                ids.append(keep.id)
                continue
            name = clip.source.split("=")[0]
            echo(f"  [{index}/{len(clips)}] generating {name} for @{clip.owner}")
            path = await generate_clip(clip, Path(tmp) / f"clip{index}.mp4", settings, seconds)
            video = await media.ingest_file(resources, owner, path, clip.caption, clip.visibility)
            ids.append(video.id)
    return ids


# A playlist of the demo, made of clips above: its title, owner and the captions in order.
PLAYLIST = (
    "Maths in motion",
    "demo_bob",
    (
        "Conway's Game of Life, portrait edition #math #cellular",
        "Three seconds into infinity #math #fractals",
    ),
)


async def ensure_playlist(users: dict[str, Any], echo: Echo) -> None:
    """Make the demo playlist when its creator has none of that title."""
    from nichevid.media import services as media
    from nichevid.playlists import reading
    from nichevid.playlists import services as playlists

    title, owner_name, captions = PLAYLIST
    owner = users[owner_name]
    if any(p.title == title for p in await reading.playlists_of(int(owner.id))):
        return
    made = await playlists.create_playlist(owner, title, "Two clips, one idea: simple rules.")
    videos = {v.caption: v for v in await media.videos_of(owner)}
    for caption in captions:
        if caption in videos and await reading.playlist_of_video(videos[caption].id) is None:
            await playlists.add_video(owner, int(made.id), videos[caption].slug)
    echo(f"  playlist {title!r} of @{owner_name}")


async def wait_until_processed(
    resources: Any, ids: list[int], echo: Echo, *, limit: float, run_jobs: bool
) -> dict[str, int]:
    """Run or wait for the processing jobs; print progress; return counts by status."""
    from nichevid.jobs import LocalJobQueue
    from nichevid.media import services as media

    runner: asyncio.Task[Any] | None = None
    if isinstance(resources.jobs, LocalJobQueue):
        runner = asyncio.create_task(resources.jobs.run_until_idle(limit=limit))
    elif run_jobs:
        from nichevid.jobs import make_worker

        worker = make_worker(resources.settings, burst=True, resources=resources)
        runner = asyncio.create_task(_burst(worker, limit))
    else:
        echo("  jobs run on Redis: a `nichevid worker` must be running to process them")
    deadline = time.monotonic() + limit
    last = ""
    while True:
        statuses = [
            v.status for v in [await media.get_video(video_id=i) for i in ids] if v is not None
        ]
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        line = ", ".join(f"{n} {s}" for s, n in counts.items())
        if line != last:
            echo(f"  status: {line}")
            last = line
        settled = not counts.get("processing") and not counts.get("uploading")
        # Ready comes with the first rendition; the other sizes and the posters follow.
        if settled and (runner is None or runner.done()):
            break
        if time.monotonic() > deadline or (runner is not None and runner.done()):
            break
        await asyncio.sleep(0.3)
    if runner is not None:
        if not runner.done():
            runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    return counts


async def _burst(worker: Any, limit: float) -> None:
    try:
        await asyncio.wait_for(worker.async_run(), timeout=limit)
    finally:
        await worker.close()


async def seed(
    settings: Any, echo: Echo, *, limit: float, run_jobs: bool, seconds: float = 3.5
) -> dict[str, int]:
    """Create the demo content on the instance ``settings`` describe."""
    from nichevid import demo_money
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    pm = make_plugin_manager(settings)
    # Embedded shape: this process runs the jobs itself, like `nichevid serve` would.
    resources = await open_resources(settings, pm, start_jobs=not settings.uses_redis)
    try:
        echo("demo creators:")
        users = await ensure_users(resources, echo)
        echo("demo videos:")
        ids = await ensure_videos(resources, users, echo, seconds=seconds)
        await ensure_playlist(users, echo)
        if demo_money.loaded(pm, "gifts", "subscriptions"):
            echo("demo gifts and subscriptions (test payments: no money moves):")
            await demo_money.seed_money(resources, users, echo)
            ids += await ensure_videos(
                resources, users, echo, seconds=seconds, clips=(SUBSCRIBERS_CLIP,)
            )
        counts = await wait_until_processed(resources, ids, echo, limit=limit, run_jobs=run_jobs)
        if demo_money.loaded(pm, "ads") or demo_money.loaded(pm, "affiliates"):
            echo("demo promotions:")
            await demo_money.seed_promotions(resources, echo)
    finally:
        await close_resources(resources)
    return counts


@click.command("demo")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for processing.")
@click.option("--seconds", default=3.5, show_default=True, help="Length of each generated clip.")
@click.option(
    "--run-jobs",
    is_flag=True,
    help="With Redis: process the videos in this command instead of waiting for a worker.",
)
@click.pass_context
def demo(ctx: click.Context, timeout: float, seconds: float, run_jobs: bool) -> None:
    """Seed a few creators and short generated videos; return once they are playable."""
    from nichevid import demo_money
    from nichevid.cli import UserError, _migrate, friendly_errors, settings_from

    settings = settings_from(ctx)
    enabled = demo_money.enable_plugins(settings, ctx.ensure_object(dict).get("config"), click.echo)
    if enabled is not settings:
        settings = enabled
        _migrate(settings, quiet=True)

    @friendly_errors
    def go() -> dict[str, int]:
        return asyncio.run(
            seed(settings, click.echo, limit=timeout, seconds=seconds, run_jobs=run_jobs)
        )

    try:
        counts = go()
    except MediaError as exc:
        raise UserError(str(exc)) from exc
    if counts.get("ready", 0) != sum(counts.values()):
        raise UserError(
            "not every demo video is playable yet ("
            + ", ".join(f"{n} {s}" for s, n in counts.items())
            + "); run `nichevid demo` again"
        )
    click.echo(f"demo ready: {counts.get('ready', 0)} videos at {settings.public_url}/")
