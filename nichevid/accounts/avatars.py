"""Avatars: untrusted image uploads, checked and re-encoded as a square WebP.

Only the bytes Pillow re-encodes are ever stored, so nothing of the upload
(metadata, trailing data, exotic formats) reaches other visitors.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import warnings
from typing import Any

from PIL import Image, ImageOps

from nichevid.accounts.rules import AccountError, now
from nichevid.accounts.tables import User
from nichevid.i18n import gettext

AVATAR_SIZE = 256
# Formats browsers send for photos; anything else (PSD, EPS, TIFF, ...) is refused unread.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


def process_avatar(data: bytes, *, max_bytes: int, max_pixels: int) -> bytes:
    """Check an uploaded image and return it as a square ``AVATAR_SIZE`` WebP.

    Args:
        data: The uploaded bytes.
        max_bytes: Largest upload accepted.
        max_pixels: Largest width x height accepted (decompression-bomb guard).

    Raises:
        AccountError: The upload is empty, too large, not an accepted image,
            truncated or corrupt, or has too many pixels.
    """
    if not data:
        raise AccountError(gettext("Choose an image file to upload."), "avatar")
    if len(data) > max_bytes:
        raise AccountError(
            gettext(
                "That image is %(size)s MB; the limit is %(limit)s MB.",
                size=f"{len(data) / 1e6:.1f}",
                limit=f"{max_bytes / 1e6:.1f}",
            ),
            "avatar",
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than fails) between its limit and twice its limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height)
                image.load()
                return _encode(image)
    except AccountError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AccountError(
            gettext("That image has far too many pixels to be an avatar; upload a smaller one."),
            "avatar",
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise AccountError(
            gettext("That file is not an image we can use; upload a JPEG, PNG, WebP or GIF."),
            "avatar",
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and corrupt files as OSError or SyntaxError.
        raise AccountError(
            gettext("That image is damaged or incomplete; try saving it again."), "avatar"
        ) from exc


def _too_many_pixels(width: int, height: int) -> AccountError:
    return AccountError(
        gettext(
            "That image is %(width)sx%(height)s pixels, too many for an avatar; "
            "upload a smaller one.",
            width=width,
            height=height,
        ),
        "avatar",
    )


def _encode(image: Image.Image) -> bytes:
    image = ImageOps.exif_transpose(image) or image
    has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    square = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue()


async def set_avatar(resources: Any, user: User, data: bytes) -> str:
    """Store a new avatar for ``user`` and delete the old one; return the new storage key.

    Raises:
        AccountError: The upload is refused (the old avatar stays).
    """
    settings = resources.settings.accounts
    encoded = await asyncio.to_thread(
        process_avatar,
        data,
        max_bytes=settings.avatar_max_bytes,
        max_pixels=settings.avatar_max_pixels,
    )
    key = f"avatars/{user.id}/{secrets.token_hex(8)}.webp"
    await resources.storage.put_bytes(key, encoded)
    old = user.avatar_key
    user.avatar_key = key
    await (
        User.update({User.avatar_key: key, User.updated_at: now()}).where(User.id == user.id).run()
    )
    if old:
        await resources.storage.delete(old)
    return key


async def remove_avatar(resources: Any, user: User) -> None:
    """Delete ``user``'s avatar, if any."""
    old = user.avatar_key
    if not old:
        return
    user.avatar_key = ""
    await User.update({User.avatar_key: "", User.updated_at: now()}).where(User.id == user.id).run()
    await resources.storage.delete(old)


async def avatar_url(resources: Any, user: User) -> str:
    """The URL of ``user``'s avatar, or ``""`` when there is none."""
    if not user.avatar_key:
        return ""
    url: str = await resources.storage.url(user.avatar_key)
    return url
