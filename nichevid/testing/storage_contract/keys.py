"""Contract checks on keys: deleting, listing by prefix, URLs and which keys are valid."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nichevid.storage import Storage
from nichevid.testing.storage_contract.helpers import (
    UNICODE_KEYS,
    blob,
    chunked,
    listing,
    refuses,
    snapshot,
    unsafe_keys,
)


class KeyChecks:
    """Keys, prefixes and URLs (part of :class:`StorageContract`)."""

    # ----------------------------------------------------------------- delete, exists

    async def test_delete_says_whether_the_object_existed(self, storage: Storage) -> None:
        await storage.put_bytes("d/one.mp4", b"1")
        await storage.put_bytes("d/two.mp4", b"2")
        assert await storage.delete("d/one.mp4") is True
        assert await storage.delete("d/one.mp4") is False
        assert await storage.delete("never/was.mp4") is False
        assert not await storage.exists("d/one.mp4")
        assert await storage.exists("d/two.mp4")
        assert await storage.delete("d/two.mp4") is True
        assert await listing(storage) == {}
        # A deleted key can be written again.
        await storage.put_bytes("d/one.mp4", b"again")
        assert await storage.read_bytes("d/one.mp4") == b"again"

    # ----------------------------------------------------------------- list

    async def test_list_with_prefixes(self, storage: Storage) -> None:
        objects = {
            "videos/ab/original.mp4": 11,
            "videos/ab/360p.mp4": 7,
            "videos/ab/hls/seg-1.m4s": 5,
            "videos/abc/original.mp4": 3,
            "videos/ab.mp4": 2,
            "avatars/u1.webp": 1,
            "video.mp4": 4,
        }
        for key, size in objects.items():
            await storage.put_bytes(key, b"x" * size)
        assert await listing(storage) == objects
        assert await listing(storage, "") == objects

        def under(prefix: str) -> dict[str, int]:
            return {k: v for k, v in objects.items() if k.startswith(prefix)}

        for prefix in ("videos/ab/", "videos/ab", "videos/a", "videos/", "video", "v",
                       "videos/ab/hls/", "videos/ab/360p.mp4", "avatars/", "nothing/"):  # fmt: skip
            assert await listing(storage, prefix) == under(prefix), prefix
        # The folder prefix does not catch its longer sibling, the bare one does.
        assert "videos/abc/original.mp4" not in await listing(storage, "videos/ab/")
        assert "videos/abc/original.mp4" in await listing(storage, "videos/ab")

    async def test_list_reports_any_name(self, storage: Storage) -> None:
        # Names a backend might use for its own bookkeeping are still ordinary keys.
        keys = ["v/original.part", "v/.hidden", "v/.x.0123456789ab.part.mp4", "v/x.tmp"]
        for key in keys:
            await storage.put_bytes(key, b"data")
        assert await listing(storage, "v/") == dict.fromkeys(keys, 4)
        assert await storage.delete_prefix("v/") == len(keys)
        assert await listing(storage) == {}

    async def test_deleting_while_listing(self, storage: Storage) -> None:
        # Clean-up code deletes what it does not keep as the listing goes by.
        keys = ["videos/ab/a.mp4", "videos/ab/hls/b.m4s", "videos/ab/hls/c.m4s", "videos/ab/z.jpg"]
        for key in keys:
            await storage.put_bytes(key, b"1")
        seen = []
        async for obj in storage.list("videos/ab/"):
            seen.append(obj.key)
            assert await storage.delete(obj.key)
        assert sorted(seen) == sorted(keys)
        assert await listing(storage) == {}

    async def test_delete_prefix(self, storage: Storage) -> None:
        for key in ("videos/ab/a.mp4", "videos/ab/hls/b.m4s", "videos/abc/c.mp4", "keep.mp4"):
            await storage.put_bytes(key, b"1234")
        assert await storage.delete_prefix("videos/ab/") == 2
        assert await listing(storage) == {"videos/abc/c.mp4": 4, "keep.mp4": 4}
        assert await storage.delete_prefix("videos/ab/") == 0
        assert await storage.delete_prefix("nothing/") == 0
        assert await storage.delete_prefix("") == 2
        assert await listing(storage) == {}

    # ----------------------------------------------------------------- urls

    async def test_url_without_and_with_expiry(self, storage: Storage) -> None:
        await storage.put_bytes("videos/ab/720p.mp4", b"v")
        plain = await storage.url("videos/ab/720p.mp4")
        signed = await storage.url("videos/ab/720p.mp4", expires_in=300)
        for url in (plain, signed):
            assert isinstance(url, str)
            assert url, "url() returned an empty string"
            assert not any(c.isspace() for c in url), url
        # A URL may be handed out before the object is written (the player asks later).
        assert isinstance(await storage.url("videos/ab/1080p.mp4"), str)
        assert plain != await storage.url("videos/ab/1080p.mp4")

    async def test_urls_encode_unusual_keys(self, storage: Storage) -> None:
        urls = {}
        for key in UNICODE_KEYS:
            await storage.put_bytes(key, key.encode())
            for expires_in in (None, 60):
                url = await storage.url(key, expires_in=expires_in)
                parts = urlsplit(url)
                assert not parts.fragment, f"'#' in {key!r} is not encoded: {url}"
                assert not any(c.isspace() for c in url), f"spaces are not encoded: {url}"
                if expires_in is None:
                    urls[key] = url
        assert len(set(urls.values())) == len(urls), f"two keys share one URL: {urls}"

    # ----------------------------------------------------------------- key rules

    async def test_unsafe_keys_are_refused_by_every_method(
        self, storage: Storage, tmp_path: Path
    ) -> None:
        await storage.put_bytes("kept/a.mp4", b"kept")
        before = snapshot(tmp_path)
        for key in unsafe_keys(tmp_path):
            calls: Iterable[tuple[str, Any]] = (
                ("put", lambda k=key: storage.put(k, chunked(b"evil"))),
                ("put_bytes", lambda k=key: storage.put_bytes(k, b"evil")),
                ("open", lambda k=key: storage.open(k)),
                ("open range", lambda k=key: storage.open(k, 1, 2)),
                ("read_bytes", lambda k=key: storage.read_bytes(k)),
                ("delete", lambda k=key: storage.delete(k)),
                ("exists", lambda k=key: storage.exists(k)),
                ("size", lambda k=key: storage.size(k)),
                ("url", lambda k=key: storage.url(k)),
                ("signed url", lambda k=key: storage.url(k, expires_in=60)),
            )
            for name, call in calls:
                await refuses(call, f"{name}({key!r})")
        assert snapshot(tmp_path) == before, "something was written for an unsafe key"
        assert await listing(storage) == {"kept/a.mp4": 4}
        # A prefix no valid key can start with matches nothing and deletes nothing.
        for prefix in ("../", "/", "a//", "..\\"):
            assert await listing(storage, prefix) == {}
            assert await storage.delete_prefix(prefix) == 0
        assert await storage.read_bytes("kept/a.mp4") == b"kept"

    async def test_unicode_spaces_and_reserved_characters_in_keys(self, storage: Storage) -> None:
        for number, key in enumerate(UNICODE_KEYS):
            data = blob(1000 + number, seed=number)
            assert await storage.put(key, chunked(data, 333)) == len(data)
        for number, key in enumerate(UNICODE_KEYS):
            assert await storage.read_bytes(key) == blob(1000 + number, seed=number), key
            assert await storage.size(key) == 1000 + number
            assert await storage.exists(key)
        assert await listing(storage) == {k: 1000 + n for n, k in enumerate(UNICODE_KEYS)}
        assert set(await listing(storage, "clips/odd/a")) == {
            k for k in UNICODE_KEYS if k.startswith("clips/odd/a")
        }
        assert await storage.delete("clips/odd/a b.mp4")
        assert await storage.read_bytes("clips/odd/a%20b.mp4") == blob(1003, seed=3)
        assert await storage.delete_prefix("clips/") == len(UNICODE_KEYS) - 1
