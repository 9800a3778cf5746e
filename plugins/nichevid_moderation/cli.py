"""``nichevid moderation hash FILE``: the perceptual hashes to put in ``blocked_hashes``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from PIL import Image, UnidentifiedImageError

from nichevid.settings import load_settings


@click.group("moderation")
def moderation() -> None:
    """Moderation tools."""


@moderation.command("hash")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--frames", type=click.IntRange(1, 20), default=4, show_default=True)
def hash_file(path: Path, frames: int) -> None:
    """Print the dHash of a picture, or of FRAMES keyframes of a video, one per line."""
    from nichevid.media.probe import probe
    from nichevid.media.settings import media_settings
    from nichevid.media.tools import MediaError
    from nichevid_moderation.phash import dhash, hex_hash, video_hashes

    try:
        with Image.open(path) as image:
            click.echo(hex_hash(dhash(image)))
            return
    except UnidentifiedImageError:
        pass
    settings = load_settings()
    try:
        found = asyncio.run(probe(path, media_settings(settings)))
        hashes = asyncio.run(video_hashes(path, found.duration_ms, frames, settings))
    except (MediaError, ValueError) as exc:
        raise click.ClickException(
            f"{path.name} is neither a picture nor a video ffmpeg can read: {exc}"
        ) from exc
    for value in hashes:
        click.echo(hex_hash(value))
