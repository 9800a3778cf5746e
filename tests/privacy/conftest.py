"""Helpers for the privacy tests: members with a full life on the site, signing in."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from nichevid.media import keys
from nichevid.media.tables import Video
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login, post_form  # noqa: F401
from tests.conftest import user_maker

VTT = b"WEBVTT\n\n00:00.500 --> 00:01.500\nHello\n"


@pytest.fixture
def nv_settings(nv_settings_factory: Any, request: pytest.FixtureRequest) -> Any:
    """No anonymous page cache; the test's parameter, if any, is ``[plugin.privacy]``."""
    return nv_settings_factory(
        server={"page_cache_seconds": 0}, plugin={"privacy": getattr(request, "param", {})}
    )


@pytest.fixture
def make_user(nv_resources: Any) -> Any:
    """``await make_user("ada", role="creator")``: an account made through the service."""
    return user_maker(nv_resources, "creator")


def png() -> bytes:
    """A small image, as an avatar upload."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Life:
    """What :func:`live` made for one member."""

    videos: list[Video] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    upload_part: Any = None


async def stored_video(resources: Any, owner: Any, caption: str, **fields: Any) -> Video:
    """A ready video whose source, rendition and poster files exist in storage."""
    video = await ready_video(owner, caption=caption, **fields)
    source = keys.source_key(video.slug, ".mp4")
    await Video.update({Video.source_key: source}).where(Video.id == video.id).run()
    video.source_key = source
    for key, data in (
        (source, b"source of " + video.slug.encode()),
        (keys.rendition_key(video.slug, "360p"), b"360p"),
        (keys.poster_key(video.slug), b"poster"),
    ):
        await resources.storage.put_bytes(key, data)
    return video


async def live(resources: Any, member: Any, other: Any) -> Life:
    """Give ``member`` everything a member can have, much of it tied to ``other``."""
    from nichevid.accounts import services as accounts
    from nichevid.accounts.tables import PasswordReset
    from nichevid.captions.services import put_caption
    from nichevid.comments.reactions import set_comment_like
    from nichevid.comments.services import post_comment
    from nichevid.feed.tables import WatchEvent
    from nichevid.media.tus.services import create_upload
    from nichevid.playlists.tables import Playlist, PlaylistItem
    from nichevid.social import services as social
    from nichevid.social.follows import set_follow
    from nichevid.social.notifications import notify
    from nichevid.social.tables import Hashtag

    life = Life()
    await accounts.set_avatar(resources, member, png())
    mine = await stored_video(resources, member, f"mine #cats with @{other.username}")
    processing = await ready_video(member, status="processing", published_at=None)
    await put_caption(resources, mine, "en", VTT)
    life.videos = [mine, processing]
    theirs = await stored_video(resources, other, f"theirs @{member.username}")
    await Video.update({Video.mentions: [member.username]}).where(Video.id == theirs.id).run()
    await social.set_like(member, theirs, True)
    await social.set_bookmark(member, theirs, True)
    await social.record_share(resources, member, theirs)
    await social.set_like(other, mine, True)
    await set_follow(member, other, True)
    await set_follow(other, member, True)
    mine_comment = await post_comment(resources, member, theirs, "nice one")
    thanks = await post_comment(resources, other, theirs, "thanks!", reply_to=mine_comment.id)
    await set_comment_like(member, int(thanks.id), True, resources)
    await set_comment_like(other, int(mine_comment.id), True, resources)
    await post_comment(resources, other, mine, f"hello @{member.username}")
    await post_comment(resources, member, mine, "my own thread")
    playlist = Playlist(owner=member.id, title="Cats in order", description="part by part")
    await playlist.save()
    await PlaylistItem(playlist=playlist.id, video=mine.id, position=1).save()
    await notify(other, "follow", member)
    await WatchEvent.insert(
        WatchEvent(viewer=member.id, video=theirs.id, watched_ms=2000, completed=True),
        WatchEvent(viewer=other.id, video=mine.id, watched_ms=1500),
    )
    upload = await create_upload(resources.settings, member, 10, {"filename": "a.mp4"})
    from nichevid.media.tus.services import part_path

    life.upload_part = part_path(resources.settings, upload.uid)
    await accounts.create_token(member, "phone")
    await PasswordReset(user=member.id, token_hash="f" * 64, expires_at=datetime.now(UTC)).save()
    await Hashtag(name="cats", description="Cats!", updated_by=member.id).save()
    # The recommender's lasting choices, as the feed settings page keeps them.
    store = resources_store(resources, "recommend")
    await store.set(f"c:u{member.id}", json.dumps({"interests": ["cats"]}))
    life.keys = {obj.key async for obj in resources.storage.list("")} - {
        obj.key async for obj in resources.storage.list(f"videos/{theirs.slug}/")
    }
    return life


def resources_store(resources: Any, name: str) -> Any:
    """The named Litestar store of the running instance, built as the app builds it."""
    from nichevid.core.store import make_stores

    return make_stores(resources.settings).get(name)
