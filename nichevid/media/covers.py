"""Custom covers: a picture the owner uploads replaces the poster of a video in every size.

The upload is untrusted: it is checked like an avatar (size, pixel count, a real JPEG,
PNG or WebP), turned upright from its EXIF orientation, cropped to the frame of the
video and drawn into a new image, so only pixels reach storage, re-encoded by
:func:`nichevid.media.images.store_posters`. ``images["custom_cover"]`` tells the
processing pipeline to keep the cover when the video is processed again.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from typing import Any

from PIL import Image, ImageOps

from nichevid.i18n import gettext
from nichevid.media import keys
from nichevid.media.images import store_posters
from nichevid.media.services import get_video, images_of
from nichevid.media.settings import media_settings
from nichevid.media.tables import Video

# Formats cameras and editors export; anything else (GIF, TIFF, PSD, ...) is refused unread.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# The long edge of the largest rendition of the default ladder (1080 x 1920).
COVER_MAX_EDGE = 1920


class CoverError(ValueError):
    """A cover upload is refused; ``status`` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def prepare_cover(
    data: bytes, *, max_bytes: int, max_pixels: int, frame: tuple[int, int] | None
) -> Image.Image:
    """Check an uploaded picture and return it as a clean RGB image.

    Args:
        data: The uploaded bytes.
        max_bytes: Largest upload accepted.
        max_pixels: Largest width x height accepted (decompression-bomb guard).
        frame: The video's width and height; the picture is cropped, centred, to
            that aspect ratio. ``None`` keeps the picture's own.

    Raises:
        CoverError: Empty, too large, not an accepted image, damaged, or too many pixels.
    """
    if not data:
        raise CoverError(
            gettext("Send the picture as the request body (a JPEG, PNG or WebP image).")
        )
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height)
                # Large JPEGs are decoded at a fraction of their size, no smaller than needed.
                image.draft("RGB", (COVER_MAX_EDGE, COVER_MAX_EDGE))
                image.load()
                return _clean(image, frame)
    except CoverError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise CoverError(
            gettext("That picture has far too many pixels; upload a smaller one."), 413
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise CoverError(
            gettext("That file is not a picture we can use; upload a JPEG, PNG or WebP image.")
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and corrupt files as OSError or SyntaxError.
        raise CoverError(
            gettext("That picture is damaged or incomplete; try saving it again.")
        ) from exc


def too_large(max_bytes: int) -> CoverError:
    """The refusal of a picture over ``max_bytes``."""
    return CoverError(
        gettext(
            "That picture is larger than %(size)s MB, the limit for covers; upload a smaller one.",
            size=f"{max_bytes / 1024**2:.1f}",
        ),
        413,
    )


def _too_many_pixels(width: int, height: int) -> CoverError:
    return CoverError(
        gettext(
            "That picture is %(width)sx%(height)s pixels, too many for a cover; "
            "upload a smaller one.",
            width=width,
            height=height,
        ),
        413,
    )


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Transparent parts show as black, like the bars around a video.
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "black"), rgba).convert("RGB")
    return image.convert("RGB")


def crop_box(size: tuple[int, int], frame: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest centred box of ``size`` with the aspect ratio of ``frame``."""
    width, height = size
    if width * frame[1] > height * frame[0]:  # wider than the frame: trim the sides
        inner = max(1, round(height * frame[0] / frame[1]))
        left = (width - inner) // 2
        return left, 0, left + inner, height
    inner = max(1, round(width * frame[1] / frame[0]))
    top = (height - inner) // 2
    return 0, top, width, top + inner


def _clean(image: Image.Image, frame: tuple[int, int] | None) -> Image.Image:
    upright = ImageOps.exif_transpose(image) or image
    rgb = _flatten(upright)
    if frame is not None:
        rgb = rgb.crop(crop_box(rgb.size, frame))
    if max(rgb.size) > COVER_MAX_EDGE:
        rgb.thumbnail((COVER_MAX_EDGE, COVER_MAX_EDGE), Image.Resampling.LANCZOS)
    # A new image holds the pixels only: no EXIF, ICC profile, comments or other chunks.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


async def set_cover(resources: Any, video: Video, data: bytes) -> Video:
    """Make an uploaded picture the poster of ``video`` in every size.

    The other stored images (a scrubbing strip, for example) stay.

    Raises:
        CoverError: The picture is refused; the stored poster is untouched.
    """
    config = media_settings(resources.settings)
    frame = (video.width, video.height) if video.width > 0 and video.height > 0 else None
    image = await asyncio.to_thread(
        prepare_cover,
        data,
        max_bytes=config.cover_max_bytes,
        max_pixels=config.cover_max_pixels,
        frame=frame,
    )
    stored = await store_posters(resources.storage, video.slug, image, config)
    images = {**images_of(video), **stored, "custom_cover": True}
    changed = await (
        Video.update({Video.images: images, Video.poster_key: stored["poster"]["jpg"]})
        .where(Video.id == video.id)
        .returning(Video.id)
    )
    updated = await get_video(video_id=video.id) if changed else None
    if updated is None:
        # Deleted meanwhile: the posters just written would be left behind.
        await resources.storage.delete_prefix(keys.video_prefix(video.slug))
        raise LookupError("the video was deleted meanwhile")
    return updated
