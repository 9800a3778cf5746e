"""Erasing one account: plugins first, then every core row and file of the member.

Rows are removed explicitly rather than left to foreign-key cascades alone, because
some traces are not foreign keys (mentions kept as usernames, sessions and viewer
state in the key-value store, rate counters named after the member), and because
other members' data must survive: replies to the member's comments become top-level
comments, and the counters of videos the member liked are recounted.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from nichevid.accounts.auth import SESSION_USER_KEY
from nichevid.accounts.tables import ApiToken, PasswordReset, User
from nichevid.comments.tables import Comment, CommentLike
from nichevid.core.secrets import pseudonym
from nichevid.core.store import ROOT_NAMESPACE
from nichevid.core.tables import JobRow, KeyValue, RateCounter
from nichevid.feed.tables import WatchEvent
from nichevid.media import services as media
from nichevid.media.tables import Upload, Video
from nichevid.media.tus.services import part_path
from nichevid.playlists.tables import Playlist
from nichevid.plugins import _resolve
from nichevid.privacy.exports import export_job_id, export_prefix
from nichevid.privacy.tables import DataExport, DeletionRequest
from nichevid.social.tables import (
    Bookmark,
    Follow,
    Hashtag,
    Like,
    Notification,
    Share,
    VideoStats,
)

log = logging.getLogger("nichevid.privacy")

# Where Litestar's stores keep values: "<root namespace>:<store name>:<key>".
STORE_ROOT = ROOT_NAMESPACE
SESSIONS = "sessions"
RECOMMEND = "recommend"
# Viewer-state keys of the recommender (session feedback, shown cards, choices).
RECOMMEND_KINDS = ("f", "s", "c")
PAGE = 5000
# What a mention of an erased member becomes in other members' text.
DELETED_MENTION = "@deleted"


class ErasureError(Exception):
    """A plugin could not delete its data; the account stays marked and is tried again."""


async def call_plugins(resources: Any, user: User) -> None:
    """Ask every plugin to delete its data of ``user``; any failure stops the erasure."""
    failures = []
    offered = {"user": user, "resources": resources}
    for impl in reversed(resources.pm.hook.user_deleting.get_hookimpls()):
        try:
            await _resolve(impl.function(**{name: offered[name] for name in impl.argnames}))
        except Exception as exc:
            log.exception("plugin %s failed in user_deleting", impl.plugin_name)
            failures.append(f"{impl.plugin_name} ({type(exc).__name__}: {exc})")
    if failures:
        raise ErasureError("plugins could not delete their data: " + "; ".join(failures))


async def _delete_files(resources: Any, user: User) -> None:
    """Videos (with renditions, captions, posters: one prefix each), avatar, exports, uploads."""
    for video in await Video.objects().where(Video.owner == user.id):
        await media.delete_video(resources, video)
    if user.avatar_key:
        await resources.storage.delete(user.avatar_key)
    await resources.storage.delete_prefix(f"avatars/{user.id}/")
    await resources.storage.delete_prefix(export_prefix(user.id))
    uploads = await Upload.select(Upload.uid).where(Upload.owner == user.id).run()
    for upload in uploads:
        part_path(resources.settings, upload["uid"]).unlink(missing_ok=True)
    await Upload.delete().where(Upload.owner == user.id).run()


async def _recount(video_ids: set[int]) -> None:
    """Counters of other members' videos, from the rows that remain."""
    for video_id in video_ids:
        counts = {}
        for name, table in (("likes", Like), ("bookmarks", Bookmark), ("shares", Share)):
            counts[name] = await table.count().where(table.video == video_id).run()
        await (
            VideoStats.update(
                {
                    VideoStats.likes: counts["likes"],
                    VideoStats.bookmarks: counts["bookmarks"],
                    VideoStats.shares: counts["shares"],
                }
            )
            .where(VideoStats.video == video_id)
            .run()
        )


async def _drop_mentions(table: Any, text_column: Any, username: str) -> None:
    """Other members' videos or comments that mention the member stop naming them.

    The mention becomes ``@deleted`` in the text and leaves the mention list: the
    name is free to be taken again, and must not then point at somebody else.
    """
    pattern = re.compile(rf"(?<![\w@])@{re.escape(username)}(?![\w])", re.IGNORECASE)
    name = table._meta.tablename
    column = text_column._meta.db_column_name
    found = await table.raw(
        f"SELECT id, mentions, {column} AS body FROM {name} "  # noqa: S608 - names only
        f"WHERE CAST(mentions AS TEXT) LIKE {{}} OR LOWER({column}) LIKE {{}}",
        f'%"{username}"%',
        f"%@{username.lower()}%",
    ).run()
    for row in found:
        mentions = row["mentions"]
        if isinstance(mentions, str):
            mentions = json.loads(mentions or "[]")
        kept = [m for m in mentions or [] if m != username]
        body = pattern.sub(DELETED_MENTION, row["body"] or "")
        await (
            table.update({table.mentions: kept, text_column: body})
            .where(table.id == row["id"])
            .run()
        )


async def _social_rows(user: User) -> None:
    touched: set[int] = set()
    for table in (Like, Bookmark, Share):
        rows = await table.select(table.video).where(table.viewer == user.id).run()
        touched |= {row["video"] for row in rows}
        await table.delete().where(table.viewer == user.id).run()
    await _recount(touched)
    await CommentLike.delete().where(CommentLike.viewer == user.id).run()
    await Playlist.delete().where(Playlist.owner == user.id).run()
    await Follow.delete().where((Follow.follower == user.id) | (Follow.followee == user.id)).run()
    await (
        Notification.delete()
        .where((Notification.recipient == user.id) | (Notification.actor == user.id))
        .run()
    )
    await Hashtag.update({Hashtag.updated_by: None}).where(Hashtag.updated_by == user.id).run()


async def _comments(user: User) -> None:
    """The member's comments go; other members' replies to them stay, as top-level comments."""
    own = await Comment.select(Comment.id).where(Comment.author == user.id).run()
    ids = [row["id"] for row in own]
    if ids:
        await (
            Comment.update({Comment.parent: None})
            .where(Comment.parent.is_in(ids) & (Comment.author != user.id))
            .run()
        )
    await Comment.update({Comment.reply_to: None}).where(Comment.reply_to == user.id).run()
    await Comment.delete().where(Comment.author == user.id).run()


async def _watch_events(user: User) -> None:
    """In batches: a long history must not hold one huge transaction."""
    while True:
        rows = (
            await WatchEvent.select(WatchEvent.id)
            .where(WatchEvent.viewer == user.id)
            .limit(PAGE)
            .run()
        )
        if not rows:
            return
        await WatchEvent.delete().where(WatchEvent.id.is_in([r["id"] for r in rows])).run()


def _session_of(value: bytes, user_id: int) -> bool:
    try:
        data = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and data.get(SESSION_USER_KEY) == user_id


async def _key_values(resources: Any, user: User) -> None:
    """Sessions, recommender state and rate counters that name the member.

    Ids of SQLite rows can be given out again, so a session left behind could one
    day sign somebody else in: every session of the member goes.
    """
    viewer = f"u{user.id}"
    state_keys = [f"{STORE_ROOT}:{RECOMMEND}:{kind}:{viewer}" for kind in RECOMMEND_KINDS]
    rate_patterns = [
        f"login:user:{user.username}:",
        f"comment:user:{user.id}:",
        f"share:{user.id}:",
        f"events:v:{viewer}:",
        f"privacy:{user.id}:",
    ]
    if resources.redis is not None:
        redis = resources.redis
        await redis.delete(*state_keys)
        async for key in redis.scan_iter(match=f"{STORE_ROOT}:{SESSIONS}:*", count=1000):
            value = await redis.get(key)
            if value is not None and _session_of(value, user.id):
                await redis.delete(key)
        for prefix in rate_patterns:
            async for key in redis.scan_iter(match=f"{resources.limiter.prefix}{prefix}*"):
                await redis.delete(key)
        await redis.delete(f"arq:result:{export_job_id(user.id)}")
        return
    await KeyValue.delete().where(KeyValue.key.is_in(state_keys)).run()
    sessions = (
        await KeyValue.select(KeyValue.id, KeyValue.value)
        .where(KeyValue.key.like(f"{STORE_ROOT}:{SESSIONS}:%"))
        .run()
    )
    dead = [row["id"] for row in sessions if _session_of(bytes(row["value"] or b""), user.id)]
    if dead:
        await KeyValue.delete().where(KeyValue.id.is_in(dead)).run()
    for prefix in rate_patterns:
        await RateCounter.delete().where(RateCounter.key.like(f"{prefix}%")).run()
    await JobRow.delete().where(JobRow.job_id == export_job_id(user.id)).run()


async def erase_user(resources: Any, user: User) -> None:
    """Delete everything of ``user``: plugins' data, then every core row and file.

    Raises:
        ErasureError: A plugin failed; nothing of the core was deleted yet.
    """
    await call_plugins(resources, user)
    await _delete_files(resources, user)
    await _social_rows(user)
    await _comments(user)
    await _drop_mentions(Video, Video.caption, user.username)
    await _drop_mentions(Comment, Comment.text, user.username)
    await _watch_events(user)
    await _key_values(resources, user)
    await ApiToken.delete().where(ApiToken.user == user.id).run()
    await PasswordReset.delete().where(PasswordReset.user == user.id).run()
    await DataExport.delete().where(DataExport.user == user.id).run()
    await DeletionRequest.delete().where(DeletionRequest.user == user.id).run()
    await User.delete().where(User.id == user.id).run()
    # The log names the pseudonym: the account it stood for is gone.
    log.info("account erased: %s", pseudonym(resources.settings, user.id))
