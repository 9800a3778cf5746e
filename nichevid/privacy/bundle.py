"""What a data export holds: the member's rows of the core as JSON, their files, plugin parts.

This module and :mod:`nichevid.privacy.erase` are the two places that read every core
table of one member: an export and an erasure must see all of it at once, and the
test that enumerates every table keeps them complete.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

from nichevid.accounts.tables import User
from nichevid.captions.tables import Caption
from nichevid.comments.tables import Comment, CommentLike
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video
from nichevid.playlists.tables import Playlist, PlaylistItem
from nichevid.plugins import _resolve
from nichevid.social.tables import Bookmark, Follow, Like, Notification, Share

log = logging.getLogger("nichevid.privacy")

# A plugin's file names: relative, plain characters, no parent steps.
SAFE_NAME = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.?(?:/|$))[A-Za-z0-9._\-/]{1,200}$")
# Watch events are read in pages, so a long history never sits in memory at once.
PAGE = 5000


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    return str(value)


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


def dumps(data: Any) -> bytes:
    """Indented UTF-8 JSON, as every JSON file of an export is written."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()


async def _slugs(video_ids: set[int]) -> dict[int, str]:
    if not video_ids:
        return {}
    rows = await Video.select(Video.id, Video.slug).where(Video.id.is_in(list(video_ids))).run()
    return {row["id"]: row["slug"] for row in rows}


async def _usernames(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await User.select(User.id, User.username).where(User.id.is_in(list(user_ids))).run()
    return {row["id"]: row["username"] for row in rows}


def profile(user: User) -> dict[str, Any]:
    """The account as the member sees it (never the password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "bio": user.bio,
        "role": user.role,
        "locale": user.locale,
        "interests": _json_list(user.interests),
        "created_at": _time(user.created_at),
    }


async def two_factor(user: User) -> dict[str, Any]:
    """Whether logging in takes a code (never the secret nor the recovery codes)."""
    from nichevid.accounts import twofactor

    state = await twofactor.state(user)
    return {
        "on": state.enabled,
        "on_since": _time(state.enabled_at),
        "recovery_codes_left": state.recovery_left,
    }


async def invitations(user: User) -> dict[str, Any]:
    """The invitations the member made, with who joined, and the one they joined with."""
    from nichevid.accounts import invitations as invites
    from nichevid.accounts.tables import InvitationUse

    made = [
        {
            "link_code": view.code,
            "note": view.note,
            "uses": view.uses,
            "max_uses": view.max_uses,
            "state": view.status,
            "expires_at": _time(view.expires_at),
            "created_at": _time(view.created_at),
            "joined": view.joined,
        }
        for view in await invites.listed(user)
    ]
    used = (
        await InvitationUse.select(
            InvitationUse.created_at,
            InvitationUse.invitation.inviter.username,  # type: ignore[union-attr]
        )
        .where(InvitationUse.user == user.id)
        .first()
    )
    joined_with = None
    if used is not None:
        joined_with = {
            "inviter": used["invitation.inviter.username"],
            "at": _time(used["created_at"]),
        }
    return {"made": made, "joined_with": joined_with}


async def email_address(user: User) -> dict[str, Any]:
    """Whether the address is confirmed, and a new one waiting for its link."""
    from nichevid.accounts import emails

    found = await emails.state(user)
    return {"confirmed": found.confirmed, "new_address_waiting": found.new_email or None}


async def creator_requests(user: User) -> list[dict[str, Any]]:
    """The member's requests to become a creator, with what was decided (not by whom)."""
    from nichevid.accounts.tables import CreatorRequest

    rows = await (
        CreatorRequest.select(
            CreatorRequest.message,
            CreatorRequest.created_at,
            CreatorRequest.decided_at,
            CreatorRequest.approved,
        )
        .where(CreatorRequest.user == user.id)
        .order_by(CreatorRequest.id)
    )
    return [
        {
            "message": row["message"],
            "asked_at": _time(row["created_at"]),
            "decided_at": _time(row["decided_at"]),
            "approved": row["approved"],
        }
        for row in rows
    ]


async def videos(user: User) -> list[dict[str, Any]]:
    """Every video of the member with the names its files get in the zip."""
    rows = await Video.objects().where(Video.owner == user.id).order_by(Video.id)
    out = []
    for video in rows:
        ext = video.source_key.rsplit(".", 1)[-1] if "." in video.source_key else "mp4"
        out.append(
            {
                "slug": video.slug,
                "caption": video.caption,
                "hashtags": _json_list(video.hashtags),
                "status": video.status,
                "visibility": video.visibility,
                "duration_ms": video.duration_ms,
                "created_at": _time(video.created_at),
                "published_at": _time(video.published_at),
                "file": f"videos/{video.slug}.{ext}" if video.source_key else None,
                "_source_key": video.source_key,
                "_id": video.id,
            }
        )
    return out


async def captions(video_ids: list[int], slugs: dict[int, str]) -> list[dict[str, Any]]:
    """The caption tracks of the member's videos, with the zip names of their files."""
    if not video_ids:
        return []
    rows = await Caption.select().where(Caption.video.is_in(video_ids)).order_by(Caption.id).run()
    return [
        {
            "video": slugs[row["video"]],
            "language": row["language"],
            "label": row["label"],
            "file": f"captions/{slugs[row['video']]}.{row['language']}.vtt",
            "_key": row["storage_key"],
        }
        for row in rows
    ]


async def comments(user: User) -> list[dict[str, Any]]:
    """The member's comments (erased ones are left out: their text is gone)."""
    rows = (
        await Comment.select()
        .where((Comment.author == user.id) & Comment.deleted_at.is_null())
        .order_by(Comment.id)
        .run()
    )
    slugs = await _slugs({row["video"] for row in rows})
    return [
        {
            "id": row["id"],
            "video": slugs.get(row["video"]),
            "in_reply_to_comment": row["parent"],
            "text": row["text"],
            "created_at": _time(row["created_at"]),
            "edited_at": _time(row["edited_at"]),
        }
        for row in rows
    ]


async def comment_likes(user: User) -> list[dict[str, Any]]:
    """The comments the member liked: which comment of which video, when."""
    rows = await CommentLike.raw(
        f"SELECT c.id, c.video, l.created_at FROM {CommentLike._meta.tablename} l "  # noqa: S608
        f"JOIN {Comment._meta.tablename} c ON c.id = l.comment WHERE l.viewer = {{}} ORDER BY l.id",
        user.id,
    ).run()
    slugs = await _slugs({row["video"] for row in rows})
    return [
        {"comment": row["id"], "video": slugs.get(row["video"]), "at": _time(row["created_at"])}
        for row in rows
    ]


async def playlists(user: User) -> list[dict[str, Any]]:
    """The member's playlists, each with its videos in order."""
    found = await Playlist.select().where(Playlist.owner == user.id).order_by(Playlist.id).run()
    items = (
        await PlaylistItem.select(PlaylistItem.playlist, PlaylistItem.video)
        .where(PlaylistItem.playlist.is_in([p["id"] for p in found] or [0]))
        .order_by(PlaylistItem.position)
        .run()
    )
    slugs = await _slugs({item["video"] for item in items})
    return [
        {
            "title": playlist["title"],
            "description": playlist["description"],
            "created_at": _time(playlist["created_at"]),
            "videos": [slugs.get(i["video"]) for i in items if i["playlist"] == playlist["id"]],
        }
        for playlist in found
    ]


async def marks(table: Any, user: User) -> list[dict[str, Any]]:
    """The member's likes, bookmarks or shares: which video, when."""
    rows = await table.select().where(table.viewer == user.id).order_by(table.id).run()
    slugs = await _slugs({row["video"] for row in rows})
    return [{"video": slugs.get(row["video"]), "at": _time(row.get("created_at"))} for row in rows]


async def follows(user: User) -> dict[str, list[dict[str, Any]]]:
    """Whom the member follows and who follows them."""
    out_rows = await Follow.select().where(Follow.follower == user.id).order_by(Follow.id).run()
    in_rows = await Follow.select().where(Follow.followee == user.id).order_by(Follow.id).run()
    names = await _usernames({r["followee"] for r in out_rows} | {r["follower"] for r in in_rows})
    return {
        "following": [
            {"username": names.get(r["followee"]), "at": _time(r.get("created_at"))}
            for r in out_rows
        ],
        "followers": [
            {"username": names.get(r["follower"]), "at": _time(r.get("created_at"))}
            for r in in_rows
        ],
    }


async def notifications(user: User) -> list[dict[str, Any]]:
    """The notifications the member received."""
    rows = (
        await Notification.select()
        .where(Notification.recipient == user.id)
        .order_by(Notification.id)
        .run()
    )
    names = await _usernames({r["actor"] for r in rows if r["actor"]})
    slugs = await _slugs({r["video"] for r in rows if r["video"]})
    return [
        {
            "kind": r["kind"],
            "from": names.get(r["actor"]),
            "video": slugs.get(r["video"]),
            "text": r["text"],
            "at": _time(r.get("created_at")),
        }
        for r in rows
    ]


async def watch_history(user: User) -> list[dict[str, Any]]:
    """Every watch event of the member, oldest first."""
    out: list[dict[str, Any]] = []
    last = 0
    while True:
        rows = (
            await WatchEvent.select()
            .where((WatchEvent.viewer == user.id) & (WatchEvent.id > last))
            .order_by(WatchEvent.id)
            .limit(PAGE)
            .run()
        )
        if not rows:
            return out
        last = rows[-1]["id"]
        slugs = await _slugs({r["video"] for r in rows})
        out.extend(
            {
                "video": slugs.get(r["video"]),
                "watched_ms": r["watched_ms"],
                "completed": r["completed"],
                "skipped": r["skipped"],
                "replays": r["replays"],
                "feed": r["feed"],
                "at": _time(r["created_at"]),
            }
            for r in rows
        )


async def copy_object(storage: Any, key: str, archive: zipfile.ZipFile, name: str) -> bool:
    """Stream one stored file into the zip (stored, not compressed: media is already)."""
    if not key or not await storage.exists(key):
        return False
    with archive.open(zipfile.ZipInfo(name, date_time=_zip_now()), "w", force_zip64=True) as out:
        async for chunk in storage.open(key):
            out.write(chunk)
    return True


def _zip_now() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def write_json(archive: zipfile.ZipFile, name: str, data: Any) -> None:
    """Add ``data`` as an indented, compressed JSON file."""
    archive.writestr(name, dumps(data), compress_type=zipfile.ZIP_DEFLATED)


async def plugin_parts(pm: Any, user: User) -> tuple[dict[str, bytes], list[str]]:
    """Every plugin's ``export_user_data`` files as ``{zip name: bytes}``, and the problems.

    Each plugin's files go under ``plugins/<plugin name>/``; a plugin that raises or
    answers a bad name or value is left out and named in the problems.
    """
    files: dict[str, bytes] = {}
    problems: list[str] = []
    for impl in reversed(pm.hook.export_user_data.get_hookimpls()):
        folder = re.sub(r"[^A-Za-z0-9._-]+", "_", impl.plugin_name).strip("._") or "plugin"
        try:
            answer = await _resolve(impl.function(**({"user": user} if impl.argnames else {})))
        except Exception as exc:
            log.exception("plugin %s failed in export_user_data", impl.plugin_name)
            problems.append(f"{impl.plugin_name}: failed ({type(exc).__name__})")
            continue
        if answer is None:
            continue
        if not isinstance(answer, dict):
            problems.append(f"{impl.plugin_name}: answered {type(answer).__name__}, not a mapping")
            continue
        for name, content in answer.items():
            if not isinstance(name, str) or not SAFE_NAME.match(name):
                problems.append(f"{impl.plugin_name}: file name {name!r} is not allowed")
                continue
            if isinstance(content, bytes | bytearray):
                files[f"plugins/{folder}/{name}"] = bytes(content)
                continue
            try:
                files[f"plugins/{folder}/{name}"] = json.dumps(
                    content, indent=2, ensure_ascii=False
                ).encode()
            except (TypeError, ValueError) as exc:
                problems.append(f"{impl.plugin_name}: {name!r} is not JSON-serialisable ({exc})")
    return files, problems


async def build(resources: Any, user: User, archive: zipfile.ZipFile) -> list[str]:
    """Write the member's whole export into ``archive``; return the names written."""
    storage = resources.storage
    written: list[str] = []

    def add(name: str, data: Any) -> None:
        write_json(archive, name, data)
        written.append(name)

    add(
        "profile.json",
        {
            **profile(user),
            "two_factor": await two_factor(user),
            "creator_requests": await creator_requests(user),
            "email_address": await email_address(user),
        },
    )
    if user.avatar_key and await copy_object(
        storage, user.avatar_key, archive, "profile/avatar.webp"
    ):
        written.append("profile/avatar.webp")
    video_list = await videos(user)
    for video in video_list:
        if video["file"] and await copy_object(
            storage, video["_source_key"], archive, video["file"]
        ):
            written.append(video["file"])
        else:
            video["file"] = None
    slugs = {v["_id"]: v["slug"] for v in video_list}
    track_list = await captions(list(slugs), slugs)
    for track in track_list:
        if await copy_object(storage, track.pop("_key"), archive, track["file"]):
            written.append(track["file"])
        else:
            track["file"] = None
    add(
        "videos.json",
        [{k: v for k, v in video.items() if not k.startswith("_")} for video in video_list],
    )
    add("captions.json", track_list)
    add("comments.json", await comments(user))
    add("likes.json", await marks(Like, user))
    add("comment_likes.json", await comment_likes(user))
    add("playlists.json", await playlists(user))
    add("bookmarks.json", await marks(Bookmark, user))
    add("shares.json", await marks(Share, user))
    add("follows.json", await follows(user))
    add("notifications.json", await notifications(user))
    add("watch_history.json", await watch_history(user))
    add("invitations.json", await invitations(user))
    files, problems = await plugin_parts(resources.pm, user)
    for name, content in files.items():
        archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
        written.append(name)
    add(
        "manifest.json",
        {
            "generated_at": datetime.now(UTC).isoformat(),
            "username": user.username,
            "files": [*written, "manifest.json"],
            "problems": problems,
        },
    )
    return written
