"""Signed CDN URLs: nginx ``secure_link`` and Bunny token authentication.

Both are pure functions of the secret, the URL path and the expiry time.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import unquote


def _b64url(digest: bytes) -> str:
    """Base64 with ``+`` as ``-``, ``/`` as ``_`` and no ``=`` padding."""
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def nginx_query(secret: str, path: str, expires: int) -> str:
    """``md5=...&expires=...`` for nginx's ``secure_link`` module.

    The edge is configured with::

        secure_link $arg_md5,$arg_expires;
        secure_link_md5 "$secure_link_expires$uri <secret>";

    ``$uri`` is the *decoded* request path, so the hash covers ``path`` decoded.

    Args:
        secret: The secret in the ``secure_link_md5`` line.
        path: The URL path as sent (percent-encoded), e.g. ``/media/videos/a%20b.mp4``.
        expires: Unix time after which nginx answers 410.

    Returns:
        The query string, without ``?``.
    """
    text = f"{expires}{unquote(path)} {secret}".encode()
    digest = hashlib.md5(text, usedforsecurity=False).digest()  # secure_link's own scheme
    return f"md5={_b64url(digest)}&expires={expires}"


def bunny_query(secret: str, path: str, expires: int) -> str:
    """``token=...&expires=...`` for Bunny CDN token authentication (SHA-256).

    ``token = base64url(SHA256(security_key + path + expires))`` without padding,
    ``path`` being the URL path as it appears in the URL.

    Args:
        secret: The pull zone's URL token authentication key.
        path: The URL path as sent, e.g. ``/videos/ab/720p.mp4``.
        expires: Unix time after which Bunny refuses the URL.

    Returns:
        The query string, without ``?``.
    """
    token = _b64url(hashlib.sha256(f"{secret}{path}{expires}".encode()).digest())
    return f"token={token}&expires={expires}"


SIGNERS = {"nginx": nginx_query, "bunny": bunny_query}
