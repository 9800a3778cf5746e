"""URL formats of each scheme, against vectors computed here by hand."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import quote

import pytest

from nichevid.default_storage import LocalStorage
from nichevid.settings import Secret
from nichevid.storage import StorageError
from nichevid.testing.storage_contract import UNICODE_KEYS, unsafe_keys
from nichevid_cdn.settings import CdnSettings
from nichevid_cdn.storage import CdnStorage

NOW = 1_700_000_000
KEY = "videos/ab/720p.mp4"


def cdn(tmp_path: Path, **config: object) -> CdnStorage:
    if "secret" in config:
        config["secret"] = Secret(str(config["secret"]))
    settings = CdnSettings(**{"base_url": "https://cdn.example.com/media", **config})
    return CdnStorage(LocalStorage(tmp_path / "media"), settings, clock=lambda: NOW + 0.9)


async def test_plain_urls_are_the_base_and_the_key_encoded_as_local_disk_does(
    tmp_path: Path,
) -> None:
    local = LocalStorage(tmp_path / "media", url_prefix="https://cdn.example.com/media")
    for signing in ("none", "nginx", "bunny"):
        storage = cdn(
            tmp_path, signing=signing, secret="k", base_url="https://cdn.example.com/media/"
        )
        assert await storage.url(KEY) == "https://cdn.example.com/media/videos/ab/720p.mp4"
        for key in UNICODE_KEYS:
            assert await storage.url(key) == await local.url(key)
    assert await cdn(tmp_path).url("a b/#1?x=%.mp4") == (
        "https://cdn.example.com/media/a%20b/%231%3Fx%3D%25.mp4"
    )


async def test_nginx_secure_link(tmp_path: Path) -> None:
    storage = cdn(tmp_path, signing="nginx", secret="s3cret")
    # nginx hashes "$secure_link_expires$uri <secret>", $uri being the decoded path.
    expires = NOW + 300
    digest = hashlib.md5(f"{expires}/media/videos/ab/720p.mp4 s3cret".encode()).digest()
    md5 = base64.b64encode(digest).decode().replace("+", "-").replace("/", "_").rstrip("=")
    assert await storage.url(KEY, expires_in=300) == (
        f"https://cdn.example.com/media/videos/ab/720p.mp4?md5={md5}&expires={expires}"
    )
    odd = "clips/été #1.mp4"
    digest = hashlib.md5(f"{expires}/media/clips/été #1.mp4 s3cret".encode()).digest()
    md5 = base64.b64encode(digest).decode().replace("+", "-").replace("/", "_").rstrip("=")
    assert await storage.url(odd, expires_in=300) == (
        f"https://cdn.example.com/media/clips/%C3%A9t%C3%A9%20%231.mp4?md5={md5}&expires={expires}"
    )


async def test_bunny_token_authentication(tmp_path: Path) -> None:
    storage = cdn(tmp_path, signing="bunny", secret="bunny-key", base_url="https://z.b-cdn.net")
    expires = NOW + 60
    digest = hashlib.sha256(f"bunny-key/videos/ab/720p.mp4{expires}".encode()).digest()
    token = base64.b64encode(digest).decode().replace("+", "-").replace("/", "_").rstrip("=")
    assert not set("=+/") & set(token)
    assert await storage.url(KEY, expires_in=60) == (
        f"https://z.b-cdn.net/videos/ab/720p.mp4?token={token}&expires={expires}"
    )


async def test_signed_urls_may_point_at_a_second_zone(tmp_path: Path) -> None:
    storage = cdn(
        tmp_path, signing="bunny", secret="k", signed_base_url="https://private.b-cdn.net/p/"
    )
    expires = NOW + 60
    digest = hashlib.sha256(f"k/p/videos/ab/720p.mp4{expires}".encode()).digest()
    token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert await storage.url(KEY) == "https://cdn.example.com/media/videos/ab/720p.mp4"
    assert await storage.url(KEY, expires_in=60) == (
        f"https://private.b-cdn.net/p/videos/ab/720p.mp4?token={token}&expires={expires}"
    )
    assert not storage.signed_by_media_route


async def test_without_signing_restricted_files_get_the_origins_signed_url(
    tmp_path: Path,
) -> None:
    storage = cdn(tmp_path, signing="none")
    # Never a plain CDN URL that works for ever: local disk's media route, which the
    # core signs and checks itself.
    assert await storage.url(KEY, expires_in=300) == f"/media/{quote(KEY)}"
    assert storage.signed_by_media_route
    assert not cdn(tmp_path, signing="nginx", secret="k").signed_by_media_route


@pytest.mark.parametrize("signing", ["none", "nginx", "bunny"])
async def test_keys_the_contract_refuses_get_no_url(tmp_path: Path, signing: str) -> None:
    storage = cdn(tmp_path, signing=signing, secret="k")
    for key in unsafe_keys(tmp_path):
        with pytest.raises(StorageError, match="invalid storage key"):
            await storage.url(key)
        with pytest.raises(StorageError, match="invalid storage key"):
            await storage.url(key, expires_in=60)


async def test_a_signature_needs_a_positive_lifetime(tmp_path: Path) -> None:
    storage = cdn(tmp_path, signing="nginx", secret="k")
    with pytest.raises(StorageError, match="use 1 or more"):
        await storage.url(KEY, expires_in=0)


async def test_the_adapter_never_wraps_itself(tmp_path: Path) -> None:
    inner = cdn(tmp_path)
    with pytest.raises(StorageError, match="cannot wrap another CDN adapter"):
        CdnStorage(inner, inner.config)
